// Which NAT entries a sweep deletes (src/nat/nat-expiry.ts), as data: flows written with the layout's own
// encoders, each case naming the entries that must go ("<flow>.fwd" / "<flow>.rev") and why.
import { expect } from 'chai';
import type { IPFamily } from '@egress-proxier/core';
import {
  DEFAULT_NAT_TIMEOUTS,
  natTimeouts,
  planNatSweep,
  type NatDumps,
  type NatSweepOptions,
} from '../src/nat/nat-expiry.js';
import {
  encodeNatForwardKey,
  encodeNatForwardValue,
  encodeNatReverseKey,
  encodeNatReverseValue,
  protocolNumberOf,
} from '../src/nat/nat-layout.js';

const SECOND = 1_000_000_000n;
const NOW = 100_000n * SECOND;

interface Flow {
  name: string;
  family?: IPFamily;
  protocol?: 'tcp' | 'udp' | 'icmp';
  egress?: string;
  pod?: string;
  podPort?: number;
  port?: number;
  /** Seconds before NOW of each direction's last packet; null: that entry is absent. */
  forwardIdle?: number | null;
  reverseIdle?: number | null;
  /** The reverse entry translates to another pod (its port was claimed again). */
  reverseOwner?: string;
}

function dumps(flows: readonly Flow[]): { dumps: NatDumps; names: Map<string, string> } {
  const result: NatDumps = { fwd4: new Map(), rev4: new Map(), fwd6: new Map(), rev6: new Map() };
  const names = new Map<string, string>();
  for (const flow of flows) {
    const family = flow.family ?? 4;
    const protocolNumber = protocolNumberOf(flow.protocol ?? 'udp', family);
    const pod = flow.pod ?? (family === 4 ? '10.244.1.2' : 'fd00:10:244:1::2');
    const remote = family === 4 ? '203.0.113.10' : '2001:db8:113::10';
    const egress = flow.egress ?? (family === 4 ? '192.0.2.100' : '2001:db8:2::100');
    const podPort = flow.podPort ?? 40000;
    const port = flow.port ?? podPort;
    const remotePort = flow.protocol === 'icmp' ? 0 : 8080;
    const seen = (idle: number) => NOW - BigInt(idle) * SECOND;
    if (flow.forwardIdle !== null) {
      const key = encodeNatForwardKey(family, { pod, remote, podPort, remotePort, protocolNumber }).toString(
        'hex',
      );
      const value = encodeNatForwardValue(family, { lastSeenNs: seen(flow.forwardIdle ?? 0), port, egress });
      result[family === 4 ? 'fwd4' : 'fwd6'].set(key, value.toString('hex'));
      names.set(key, `${flow.name}.fwd`);
    }
    if (flow.reverseIdle !== null) {
      const key = encodeNatReverseKey(family, { egress, remote, port, remotePort, protocolNumber }).toString(
        'hex',
      );
      const value = encodeNatReverseValue(family, {
        lastSeenNs: seen(flow.reverseIdle ?? 0),
        pod: flow.reverseOwner ?? pod,
        podPort,
      });
      result[family === 4 ? 'rev4' : 'rev6'].set(key, value.toString('hex'));
      names.set(key, `${flow.name}.rev`);
    }
  }
  return { dumps: result, names };
}

const HOSTED = ['192.0.2.100', '2001:db8:2::100'];

const CASES: {
  name: string;
  flows: Flow[];
  options?: Partial<NatSweepOptions>;
  deleted: string[];
}[] = [
  {
    name: 'a flow active both ways stays',
    flows: [{ name: 'a', forwardIdle: 5, reverseIdle: 5 }],
    deleted: [],
  },
  {
    name: 'an idle UDP flow goes, both directions at once',
    flows: [{ name: 'a', forwardIdle: 121, reverseIdle: 121 }],
    deleted: ['a.fwd expired', 'a.rev expired'],
  },
  {
    name: 'replies keep a flow alive whose pod has not sent for long',
    flows: [{ name: 'a', forwardIdle: 500, reverseIdle: 10 }],
    deleted: [],
  },
  {
    name: 'outbound packets keep a flow alive that gets no replies',
    flows: [{ name: 'a', forwardIdle: 10, reverseIdle: 500 }],
    deleted: [],
  },
  {
    name: 'per protocol: ICMP past 60 s goes, UDP at 61 s stays, TCP at 2 h stays and past 7440 s goes',
    flows: [
      { name: 'icmp', protocol: 'icmp', podPort: 4242, forwardIdle: 61, reverseIdle: 61 },
      { name: 'udp', podPort: 40001, forwardIdle: 61, reverseIdle: 61 },
      { name: 'tcp', protocol: 'tcp', podPort: 40002, forwardIdle: 7200, reverseIdle: 7200 },
      { name: 'old-tcp', protocol: 'tcp', podPort: 40003, forwardIdle: 7441, reverseIdle: 7441 },
    ],
    deleted: ['icmp.fwd expired', 'old-tcp.fwd expired', 'icmp.rev expired', 'old-tcp.rev expired'],
  },
  {
    name: 'timeouts given by the caller',
    flows: [{ name: 'a', protocol: 'tcp', forwardIdle: 3, reverseIdle: 3 }],
    options: { timeouts: { tcp: 2 } },
    deleted: ['a.fwd expired', 'a.rev expired'],
  },
  {
    name: 'an egress IP that left the node: its flows go at once, busy or not, and only its own',
    flows: [
      { name: 'left', egress: '192.0.2.200', forwardIdle: 0, reverseIdle: 0 },
      { name: 'kept', podPort: 40001, forwardIdle: 0, reverseIdle: 0 },
      { name: 'left6', family: 6, egress: '2001:db8:2::200', forwardIdle: 0, reverseIdle: 0 },
    ],
    deleted: ['left.fwd stale', 'left.rev stale', 'left6.fwd stale', 'left6.rev stale'],
  },
  {
    name: 'stale entries go even when idle expiry is off; idle ones then stay',
    flows: [
      { name: 'left', egress: '192.0.2.200' },
      { name: 'idle', podPort: 40001, forwardIdle: 9999, reverseIdle: 9999 },
    ],
    options: { expireIdle: false },
    deleted: ['left.fwd stale', 'left.rev stale'],
  },
  {
    name: 'a reverse entry whose forward entry was evicted is decided alone',
    flows: [
      { name: 'idle', forwardIdle: null, reverseIdle: 200 },
      { name: 'busy', podPort: 40001, forwardIdle: null, reverseIdle: 1 },
      { name: 'left', podPort: 40002, egress: '192.0.2.200', forwardIdle: null, reverseIdle: 1 },
    ],
    deleted: ['idle.rev expired', 'left.rev stale'],
  },
  {
    name: "a forward entry whose port another pod now holds: it goes on its own clock, the other pod's entry stays",
    flows: [{ name: 'a', forwardIdle: 200, reverseIdle: 1, reverseOwner: '10.244.1.9' }],
    deleted: ['a.fwd expired'],
  },
  {
    name: 'IPv6 flows, with the hosted egress IP written in another form',
    flows: [
      { name: 'idle6', family: 6, forwardIdle: 130, reverseIdle: 130 },
      { name: 'busy6', family: 6, podPort: 40001, forwardIdle: 1, reverseIdle: 1 },
    ],
    options: { hostedEgressIPs: ['192.0.2.100', '2001:0db8:0002::0100'] },
    deleted: ['idle6.fwd expired', 'idle6.rev expired'],
  },
  {
    name: 'a packet after the clock was read is not idle',
    flows: [{ name: 'a', forwardIdle: -5, reverseIdle: -5 }],
    deleted: [],
  },
];

describe('NAT expiry (which entries a sweep deletes)', () => {
  for (const { name, flows, options, deleted } of CASES) {
    it(name, () => {
      const { dumps: content, names } = dumps(flows);
      const plan = planNatSweep(content, { hostedEgressIPs: HOSTED, nowNs: NOW, ...options });
      expect(plan.deletions.map(({ key, reason }) => `${names.get(key) ?? key} ${reason}`)).to.deep.equal(
        deleted,
      );
      expect(plan.seen).to.equal(names.size);
      expect(plan.expired).to.equal(deleted.filter((line) => line.endsWith('expired')).length);
      expect(plan.stale).to.equal(deleted.filter((line) => line.endsWith('stale')).length);
      const maps = plan.deletions.map(({ map, key }) => `${map}:${names.get(key) ?? ''}`);
      expect(
        maps.every((line) => /^(fwd[46]:.*\.fwd|rev[46]:.*\.rev)$/.test(line)),
        maps.join(),
      ).to.equal(true);
    });
  }

  it('defaults: TCP longer than UDP longer than ICMP, each at least its RFC floor', () => {
    expect(DEFAULT_NAT_TIMEOUTS).to.deep.equal({ tcp: 7440, udp: 120, icmp: 60 });
    expect(natTimeouts({ udp: 30 })).to.deep.equal({ tcp: 7440, udp: 30, icmp: 60 });
  });

  it('refuses a timeout that is not a positive number of seconds', () => {
    expect(() => natTimeouts({ icmp: 0 })).to.throw(/icmp must be a positive number of seconds/);
    expect(() => natTimeouts({ tcp: Number.NaN })).to.throw(/tcp/);
  });

  it('refuses a hosted egress IP that is not an address', () => {
    const { dumps: content } = dumps([]);
    expect(() => planNatSweep(content, { hostedEgressIPs: ['192.0.2'], nowNs: NOW })).to.throw(
      /not an IP address/,
    );
  });
});
