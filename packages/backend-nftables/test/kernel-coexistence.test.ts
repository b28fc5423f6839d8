// Coexistence on the kernel, in namespaces this test creates: a node with a CNI-like masquerading nft table
// (`table ip cni`, nat postrouting at srcnat) and kube-proxy-style iptables-nft nat rules (a MASQUERADE in
// POSTROUTING and KUBE-POSTROUTING), plus our table. Nat base chains of all tables at one hook run in priority
// order until one sets up a binding for the connection; later ones are skipped. Asserted: our snat map wins (the
// server sees the egress IP), a steered (marked) packet is not masqueraded (the server sees the pod IP), an
// unclassified pod is masqueraded as before — and two controls showing why: with an `accept` instead of the
// self-binding the steered packet is masqueraded, and with our chain after srcnat the CNI's masquerade wins.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { DEFAULT_NODE_OPTIONS, SlotLayout, steeringDriver } from '@egress-proxier/node-datapath';
import { buildNftTable } from '../src/model/build-table.js';
import type { NftTable } from '../src/model/nft-table.js';
import { fullScript } from '../src/render/nft-script.js';

const run = promisify(execFile);
const NS = {
  node: `nftco${process.pid}-node`,
  out: `nftco${process.pid}-out`,
  pod: (i: number) => `nftco${process.pid}-p${i}`,
};
const PODS = ['10.244.1.2', '10.244.1.3', '10.244.1.4'];
const SERVER = '203.0.113.10';
const NODE_IP = '192.0.2.1';
const EGRESS_IP = '192.0.2.100';

const SERVER_PY = `
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("${SERVER}", 8080)); s.listen(16)
while True:
    c, a = s.accept(); c.sendall(a[0].encode()); c.close()
`;
const CLIENT_PY = `
import socket
s = socket.create_connection(("${SERVER}", 8080), timeout=3); print(s.recv(64).decode())
`;

async function sh(ns: string | undefined, command: string, args: string[], input?: string): Promise<string> {
  const argv = ns === undefined ? [command, ...args] : ['ip', 'netns', 'exec', ns, command, ...args];
  const child = run(argv[0] as string, argv.slice(1), { timeout: 10_000 });
  if (input !== undefined) {
    child.child.stdin?.end(input);
  }
  return (await child).stdout;
}

/** The table the backend builds for: pod 0 SNATed to the egress IP, pod 1 steered (slot 0), pod 2 in no policy. */
function ourTable(): NftTable {
  const options = DEFAULT_NODE_OPTIONS;
  const slots = [new SlotLayout(options).slot(0, 'gateway')];
  const rule = (kind: 'snat' | 'steer') =>
    kind === 'snat'
      ? {
          kind: 'rule' as const,
          policy: 'db',
          sourceSet: 'db/a',
          action: { kind: 'snat' as const, egressIP: EGRESS_IP },
        }
      : {
          kind: 'rule' as const,
          policy: 'web',
          sourceSet: 'web/b',
          action: {
            kind: 'steer' as const,
            egressIP: '192.0.2.101',
            gateway: { node: 'gateway', nodeIP: '192.0.2.2' },
          },
        };
  return buildNftTable(
    {
      node: 'node',
      clusterDestinations: ['10.244.0.0/16'],
      entries: [
        { family: 4, source: PODS[0] as string, destination: '203.0.113.0/24', verdict: rule('snat') },
        { family: 4, source: PODS[1] as string, destination: '203.0.113.0/24', verdict: rule('steer') },
      ],
    },
    { options, uplink: 'uplink0', slots, steering: steeringDriver(options, 'uplink0') },
  );
}

async function sourceSeen(pod: number): Promise<string> {
  return (await sh(NS.pod(pod), 'python3', ['-c', CLIENT_PY])).trim();
}

async function load(script: string): Promise<void> {
  await sh(NS.node, 'nft', ['-f', '-'], script);
}

let server: ReturnType<typeof execFile> | undefined;

describe('coexistence with a CNI masquerade table and iptables-nft nat rules (real kernel)', function () {
  this.timeout(60_000);

  before(async function () {
    if (process.getuid?.() !== 0) throw new Error('kernel-coexistence needs root (network namespaces, nft)');
    for (const tool of [
      ['nft', '--version'],
      ['iptables-nft', '--version'],
      ['python3', '--version'],
    ])
      await sh(undefined, tool[0] as string, [tool[1] as string]).catch(() => {
        throw new Error(`kernel-coexistence needs ${tool[0]} (apt-get install nftables iptables python3)`);
      });
    for (const ns of [NS.node, NS.out, ...PODS.map((_, i) => NS.pod(i))])
      await sh(undefined, 'ip', ['netns', 'add', ns]);
    await sh(NS.node, 'ip', [
      'link',
      'add',
      'uplink0',
      'type',
      'veth',
      'peer',
      'name',
      'outlink0',
      'netns',
      NS.out,
    ]);
    await sh(NS.node, 'ip', ['addr', 'add', `${NODE_IP}/24`, 'dev', 'uplink0']);
    await sh(NS.node, 'ip', ['addr', 'add', `${EGRESS_IP}/32`, 'dev', 'uplink0']);
    await sh(NS.node, 'ip', ['link', 'set', 'uplink0', 'up']);
    await sh(NS.node, 'sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
    await sh(NS.out, 'ip', ['addr', 'add', '192.0.2.254/24', 'dev', 'outlink0']);
    await sh(NS.out, 'ip', ['addr', 'add', `${SERVER}/32`, 'dev', 'outlink0']);
    await sh(NS.out, 'ip', ['link', 'set', 'outlink0', 'up']);
    await sh(NS.out, 'ip', ['link', 'set', 'lo', 'up']);
    // The outside knows no route to pods: only an address it can answer (node or egress IP) gets a reply,
    // except for the steered pod, whose reply path a gateway would provide (here: a route to it alone).
    await sh(NS.out, 'ip', ['route', 'add', `${PODS[1]}/32`, 'via', NODE_IP]);
    await sh(NS.node, 'ip', ['route', 'add', '203.0.113.0/24', 'via', '192.0.2.254']);
    for (const [i, pod] of PODS.entries()) {
      await sh(NS.node, 'ip', [
        'link',
        'add',
        `pod${i}`,
        'type',
        'veth',
        'peer',
        'name',
        'eth0',
        'netns',
        NS.pod(i),
      ]);
      await sh(NS.node, 'ip', ['addr', 'add', `10.244.1.${101 + i}/32`, 'dev', `pod${i}`]);
      await sh(NS.node, 'ip', ['link', 'set', `pod${i}`, 'up']);
      await sh(NS.node, 'ip', ['route', 'add', `${pod}/32`, 'dev', `pod${i}`]);
      await sh(NS.pod(i), 'ip', ['addr', 'add', `${pod}/32`, 'dev', 'eth0']);
      await sh(NS.pod(i), 'ip', ['link', 'set', 'eth0', 'up']);
      await sh(NS.pod(i), 'ip', ['route', 'add', `10.244.1.${101 + i}`, 'dev', 'eth0']);
      await sh(NS.pod(i), 'ip', ['route', 'add', 'default', 'via', `10.244.1.${101 + i}`]);
    }
    // A CNI's masquerade in its own table, and kube-proxy / flannel-style iptables-nft nat rules.
    await load(
      'table ip cni {\n chain post {\n  type nat hook postrouting priority srcnat; policy accept;\n  ip saddr 10.244.0.0/16 ip daddr != 10.244.0.0/16 masquerade\n }\n}\n',
    );
    await sh(
      NS.node,
      'iptables-nft-restore',
      ['--noflush'],
      [
        '*nat',
        ':KUBE-POSTROUTING - [0:0]',
        '-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING',
        '-A POSTROUTING -s 10.244.0.0/16 ! -d 10.244.0.0/16 -j MASQUERADE',
        '-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN',
        '-A KUBE-POSTROUTING -j MASQUERADE',
        'COMMIT',
        '',
      ].join('\n'),
    );
    server = execFile('ip', ['netns', 'exec', NS.out, 'python3', '-c', SERVER_PY]);
    server.on('error', () => undefined);
    await new Promise((resolve) => setTimeout(resolve, 500));
  });

  after(async () => {
    server?.kill(); // `ip netns exec` execs python: this PID is the server we started
    for (const ns of [NS.node, NS.out, ...PODS.map((_, i) => NS.pod(i))])
      await sh(undefined, 'ip', ['netns', 'del', ns]).catch(() => undefined);
  });

  it('without our table every pod is masqueraded to the node IP (the controls are live)', async () => {
    expect(await sourceSeen(0)).to.equal(NODE_IP);
    expect(await sourceSeen(2)).to.equal(NODE_IP);
  });

  it('with our table: our SNAT wins, the steered pod is not masqueraded, others are as before', async () => {
    await load(fullScript(ourTable()));
    expect(await sourceSeen(0)).to.equal(EGRESS_IP);
    expect(await sourceSeen(1)).to.equal(PODS[1]);
    expect(await sourceSeen(2)).to.equal(NODE_IP);
  });

  it('control: an accept instead of the self-binding lets the CNI masquerade the steered pod', async () => {
    const script = fullScript(ourTable()).replace(
      /snat ip to ip saddr comment "steered/,
      'accept comment "steered',
    );
    expect(script).to.include('accept comment "steered');
    await load(script);
    expect(await sourceSeen(1)).to.equal(NODE_IP);
  });

  it('control: our chain after srcnat (priority srcnat + 10) loses to the CNI masquerade', async () => {
    const script = fullScript(ourTable()).replace('priority srcnat - 10', 'priority srcnat + 10');
    await load(script);
    expect(await sourceSeen(0)).to.equal(NODE_IP);
  });
});
