// Port use from the reverse NAT entries, which are what hold translated ports: the busiest endpoints
// (table-driven), which entries are live, and the read of the two reverse maps.
import { expect } from 'chai';
import type { SnatPortUse } from '@egress-proxier/core';
import { RecordingExec } from '@egress-proxier/core/testing';
import { CommandRunner } from '@egress-proxier/node-datapath';
import {
  encodeNatReverseKey,
  encodeNatReverseValue,
  type NatProtocol,
  type NatReverseEntry,
} from '../src/nat/nat-layout.js';
import { busiestEndpoints, liveReverseEntries, readNatPortUse } from '../src/nat/nat-port-use.js';
import { EGRESS_A as A, EGRESS_B as B, EGRESS_V6 as V6, portUse as use } from './support/port-use.js';

const PROTOCOL_NUMBERS = { tcp: 6, udp: 17, icmp: 1, other: 132 } as const;

/** `count` reverse entries of one egress IP to one remote endpoint, on consecutive translated ports. */
function flows(
  count: number,
  egress: string,
  protocol: NatProtocol,
  remote: string,
  remotePort: number,
  lastSeenNs = 0n,
) {
  return Array.from({ length: count }, (_, index): NatReverseEntry => ({
    hexKey: `${egress}|${protocol}|${remote}|${remotePort}|${index}`,
    key: {
      egress,
      remote,
      port: 40000 + index,
      remotePort,
      protocol,
      protocolNumber: PROTOCOL_NUMBERS[protocol],
    },
    value: { lastSeenNs, pod: '10.244.1.2', podPort: 40000 + index },
  }));
}

describe('SNAT port use (busiest endpoints per egress IP)', () => {
  const cases: { name: string; entries: NatReverseEntry[]; perEgressIP?: number; expected: SnatPortUse[] }[] =
    [
      { name: 'no entries', entries: [], expected: [] },
      {
        name: 'one port per entry, by endpoint; TCP and UDP to one endpoint are separate port spaces',
        entries: [...flows(3, A, 'tcp', '203.0.113.10', 443), ...flows(2, A, 'udp', '203.0.113.10', 443)],
        expected: [use(A, 'tcp', '203.0.113.10', 443, 3), use(A, 'udp', '203.0.113.10', 443, 2)],
      },
      {
        name: 'ICMP echo identifiers and other protocols are not ports',
        entries: [...flows(4, A, 'icmp', '203.0.113.10', 0), ...flows(1, A, 'other', '203.0.113.10', 0)],
        expected: [],
      },
      {
        name: 'the busiest first, ties by address then port, and at most the top N per egress IP',
        entries: [
          ...flows(1, A, 'tcp', '203.0.113.30', 80),
          ...flows(5, A, 'tcp', '203.0.113.20', 80),
          ...flows(2, A, 'tcp', '203.0.113.10', 8080),
          ...flows(2, A, 'tcp', '203.0.113.10', 80),
          ...flows(9, B, 'udp', '198.51.100.1', 53),
        ],
        perEgressIP: 3,
        expected: [
          use(A, 'tcp', '203.0.113.20', 80, 5),
          use(A, 'tcp', '203.0.113.10', 80, 2),
          use(A, 'tcp', '203.0.113.10', 8080, 2),
          use(B, 'udp', '198.51.100.1', 53, 9),
        ],
      },
      {
        name: 'the default keeps 5 per egress IP, IPv6 as well',
        entries: Array.from({ length: 7 }, (_, index) =>
          flows(index + 1, V6, 'tcp', '2001:db8:113::10', 1000 + index),
        ).flat(),
        expected: [6, 5, 4, 3, 2].map((index) => use(V6, 'tcp', '2001:db8:113::10', 1000 + index, index + 1)),
      },
    ];
  for (const { name, entries, perEgressIP, expected } of cases)
    it(name, () => {
      expect(busiestEndpoints(entries, perEgressIP)).to.deep.equal(expected);
    });
});

const SECOND = 1_000_000_000n;
const NOW = 100_000n * SECOND;

describe('live reverse entries (what port use counts)', () => {
  const timeouts = { tcp: 7440, udp: 120, icmp: 60 };
  it('leaves out flows idle past their protocol’s timeout and egress IPs not hosted', () => {
    const entries = [
      ...flows(1, A, 'tcp', '203.0.113.10', 443, NOW - 7440n * SECOND), // at the timeout: live
      ...flows(1, A, 'tcp', '203.0.113.11', 443, NOW - 7441n * SECOND),
      ...flows(1, A, 'udp', '203.0.113.10', 53, NOW - 100n * SECOND),
      ...flows(1, A, 'udp', '203.0.113.11', 53, NOW - 121n * SECOND),
      ...flows(1, B, 'tcp', '203.0.113.10', 443, NOW), // B left the node
    ];
    const live = liveReverseEntries(entries, { hostedEgressIPs: [A], nowNs: NOW, timeouts });
    expect(live.map(({ key }) => `${key.protocol} ${key.remote}`)).to.deep.equal([
      'tcp 203.0.113.10',
      'udp 203.0.113.10',
    ]);
  });
});

describe('readNatPortUse (the two reverse maps)', () => {
  it('dumps egp_nat4_rev and egp_nat6_rev only, and counts their live entries per endpoint', async () => {
    const PINS = '/sys/fs/bpf/egp/maps';
    const dump = (entries: [Buffer, Buffer][]) =>
      JSON.stringify(
        entries.map(([key, value]) => ({
          key: key
            .toString('hex')
            .match(/../g)
            ?.map((byte) => `0x${byte}`),
          value: value
            .toString('hex')
            .match(/../g)
            ?.map((byte) => `0x${byte}`),
        })),
      );
    const reverse4 = (port: number, lastSeenNs: bigint): [Buffer, Buffer] => [
      encodeNatReverseKey(4, { egress: A, remote: '203.0.113.10', port, remotePort: 443, protocolNumber: 6 }),
      encodeNatReverseValue(4, { lastSeenNs, pod: '10.244.1.2', podPort: port }),
    ];
    const reverse6: [Buffer, Buffer] = [
      encodeNatReverseKey(6, {
        egress: V6,
        remote: '2001:db8:113::10',
        port: 41000,
        remotePort: 53,
        protocolNumber: 17,
      }),
      encodeNatReverseValue(6, { lastSeenNs: NOW, pod: 'fd00:10:244:1::2', podPort: 41000 }),
    ];
    const exec = new RecordingExec();
    exec.respond(`bpftool -j map dump pinned ${PINS}/egp_nat4_rev`, {
      stdout: dump([reverse4(40000, NOW), reverse4(40001, NOW - SECOND), reverse4(40002, 0n)]),
    });
    exec.respond(`bpftool -j map dump pinned ${PINS}/egp_nat6_rev`, { stdout: dump([reverse6]) });
    const runner = new CommandRunner(exec, new AbortController().signal);
    const portUse = await readNatPortUse(runner, PINS, { hostedEgressIPs: [A, V6], nowNs: NOW });
    expect(portUse).to.deep.equal([
      use(A, 'tcp', '203.0.113.10', 443, 2),
      use(V6, 'udp', '2001:db8:113::10', 53, 1),
    ]);
    expect(exec.commandLines()).to.have.length(2);
  });
});
