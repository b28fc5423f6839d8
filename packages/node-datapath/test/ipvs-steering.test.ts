import { RecordingExec } from '@egress-proxier/core/testing';
import { expect } from 'chai';
import {
  buildNodeDatapath,
  cleanupNode,
  CommandRunner,
  DEFAULT_NODE_OPTIONS,
  IpvsSteering,
  parseIpvsSave,
  planIpvs,
  slotsInKernel,
  SlotLayout,
  type Command,
  type IpvsService,
  type NodeKernelView,
} from '../src/index.js';
import { signal } from './support/fixtures.js';

const service = (fwmark: number, realServer: string | undefined, extra: Partial<IpvsService> = {}) => ({
  family: 4 as const,
  fwmark,
  scheduler: 'sh',
  realServer,
  forwarding: 'dr' as const,
  ...extra,
});

describe('ipvsadm -S -n', () => {
  it('reads fwmark services of both families with their one real server, and skips address services', () => {
    const saved = [
      '-A -t 10.96.0.1:443 -s rr',
      '-a -t 10.96.0.1:443 -r 192.0.2.12:6443 -m -w 1',
      '-A -f 256 -s sh',
      '-a -f 256 -r 192.0.2.12:0 -g -w 1',
      '-A -f 512 -s mh',
      '-a -f 512 -r 192.0.2.13:0 -i -w 1',
      '-A -f 256 -6 -s sh',
      '-a -f 256 -6 -r [2001:db8:2::12]:0 -g -w 1',
      '-A -f 768 -s sh',
      '-a -f 768 -r 192.0.2.12:0 -g -w 1',
      '-a -f 768 -r 192.0.2.13:0 -g -w 1',
      '',
    ].join('\n');
    expect(parseIpvsSave(saved)).to.deep.equal([
      service(256, '192.0.2.12'),
      service(512, '192.0.2.13', { scheduler: 'mh', forwarding: 'tunnel' }),
      service(256, '2001:db8:2::12', { family: 6 }),
      // Two real servers: not a state we write, so it reads as "no single real server", to be repaired.
      service(768, undefined),
    ]);
  });
});

describe('IPVS plan', () => {
  it('adds new services with their server, replaces a moved server delete-first, retires the rest', () => {
    const plan = planIpvs(
      [
        service(256, '192.0.2.12'),
        service(512, '192.0.2.14'),
        service(768, '192.0.2.13', { scheduler: 'mh' }),
      ],
      [service(512, '192.0.2.13'), service(768, '192.0.2.13'), service(1024, '192.0.2.15')],
    );
    expect(plan.prepare).to.deep.equal([
      '-A -f 256 -s sh',
      '-a -f 256 -r 192.0.2.12 -g -w 1',
      '-D -f 512',
      '-A -f 512 -s sh',
      '-a -f 512 -r 192.0.2.14 -g -w 1',
      '-E -f 768 -s mh',
    ]);
    expect(plan.retire).to.deep.equal(['-D -f 1024']);
  });

  it('writes IPv6 services with -6 and the server bracketed with port 0, as ipvsadm requires', () => {
    const v6 = service(256, '2001:db8:2::12', { family: 6, forwarding: 'tunnel' });
    expect(planIpvs([v6], []).prepare).to.deep.equal([
      '-A -f 256 -6 -s sh',
      '-a -f 256 -6 -r [2001:db8:2::12]:0 -i -w 1',
    ]);
  });

  it('changes nothing when the kernel holds the desired services', () => {
    const services = [service(256, '192.0.2.12'), service(256, '2001:db8:2::12', { family: 6 })];
    expect(planIpvs(services, services)).to.deep.equal({ prepare: [], retire: [] });
  });
});

describe('IPVS steering driver', () => {
  const options = { ...DEFAULT_NODE_OPTIONS, steering: 'ipvs' as const };
  const layout = new SlotLayout(options);
  const slot = layout.slot(0, 'node-b');
  const table = {
    node: 'node-a',
    clusterCIDRs: ['10.244.0.0/16'],
    hostedEgressIPs: [],
    sourceSets: [],
    rules: [
      {
        policy: 'db',
        family: 4 as const,
        sourceSet: 's4',
        destination: '0.0.0.0/0',
        excludedCIDRs: [],
        failurePolicy: 'FailOpen' as const,
        action: {
          kind: 'steer' as const,
          egressIP: '192.0.2.101',
          gateway: { node: 'node-b', nodeIP: '192.0.2.12' },
        },
      },
    ],
  };
  const emptyView = (ipvs: NodeKernelView['ipvs']): NodeKernelView => ({
    rules: [],
    routes: [],
    addresses: [],
    vxlan: { exists: false, remotes: [], addressed: false },
    ipvs,
  });
  const recorder = () => {
    const lines: string[] = [];
    const run = async (command: Command, input?: string) =>
      void lines.push(
        [command.command, ...command.args].join(' ') + (input === undefined ? '' : ` <<${input}`),
      );
    return { lines, run };
  };
  const context = { runner: new CommandRunner({ run: () => Promise.reject(new Error('no exec')) }, signal) };
  const uplinkAddress = () => Promise.resolve('192.0.2.11');

  it("hands a slot's packets to IPVS locally and makes the gateway the service's only real server", () => {
    const driver = new IpvsSteering('eth0', options.mask, { ...options.ipvs, forwarding: 'tunnel' });
    const datapath = buildNodeDatapath(table, driver, 'eth0', [slot]);
    expect(datapath.routes.map((route) => [route.type, route.device, route.via])).to.deep.equal([
      ['local', 'lo', '192.0.2.12'],
    ]);
    expect(datapath.ipvs).to.deep.equal([
      { family: 4, fwmark: slot.mark, scheduler: 'sh', realServer: '192.0.2.12', forwarding: 'tunnel' },
    ]);
    expect(driver.ingressDevices(4)).to.deep.equal(['eth0', 'tunl0']);
    expect(driver.ingressDevices(6)).to.deep.equal(['eth0', 'ip6tnl0']);
    expect(driver.mssClamp()).to.deep.equal({ kind: 'steered-replies', mtu: 1480 });
    expect(new IpvsSteering('eth0', options.mask, options.ipvs).mssClamp()).to.equal(undefined);
  });

  it('prepares settings and services not in place, in one ipvsadm restore; retires unused services', async () => {
    const driver = new IpvsSteering('eth0', options.mask, { ...options.ipvs, forwarding: 'tunnel' });
    const datapath = buildNodeDatapath(table, driver, 'eth0', [slot]);
    const { lines, run } = recorder();
    const held = {
      services: [service(0x200, '192.0.2.13')],
      tunnels: [{ device: 'tunl0', up: false, ours: false }],
    };
    await driver.prepare(run, { ...context, uplinkAddress }, datapath, emptyView(held));
    await driver.retire(run, { ...context, uplinkAddress }, datapath, emptyView(held));
    expect(lines).to.deep.equal([
      'ip link set dev tunl0 alias egress-proxier up',
      `ipvsadm -R <<-A -f ${slot.mark} -s sh\n-a -f ${slot.mark} -r 192.0.2.12 -i -w 1\n`,
      'ipvsadm -R <<-D -f 512\n',
    ]);

    const settled = recorder();
    const inPlace = { services: datapath.ipvs, tunnels: [{ device: 'tunl0', up: true, ours: true }] };
    await driver.prepare(settled.run, { ...context, uplinkAddress }, datapath, emptyView(inPlace));
    await driver.retire(settled.run, { ...context, uplinkAddress }, datapath, emptyView(inPlace));
    expect(settled.lines).to.deep.equal([]);
  });

  it("re-learns a slot's gateway from its service's real server (adoption after a restart)", () => {
    const slots = slotsInKernel(
      {
        rules: [
          { family: 4, mark: slot.mark, mask: options.mask, table: slot.table, priority: slot.priority },
        ],
        routes: [
          { family: 4, table: slot.table, type: 'local', dst: 'default', via: undefined, device: 'lo' },
        ],
        ipvs: { services: [service(slot.mark, '192.0.2.12')] },
      },
      layout,
      table,
    );
    expect([...slots]).to.deep.equal([[0, 'node-b']]);
  });
});

describe('IPVS cleanup of the decapsulation devices', () => {
  const link = (name: string, up: boolean, alias?: string) => ({
    ifname: name,
    flags: up ? ['NOARP', 'UP'] : ['NOARP'],
    ...(alias === undefined ? {} : { ifalias: alias }),
  });
  const cleanup = async (links: object[], addressed: string[] = []) => {
    const exec = new RecordingExec()
      .respond('ipvsadm -S -n', { stdout: '' })
      .respond('ip -j link show', { stdout: JSON.stringify(links) });
    for (const device of addressed)
      // Global addresses only: the link-local one the kernel gives ip6tnl0 says nothing about other users.
      exec.respond(`ip -j address show dev ${device} scope global`, {
        stdout: JSON.stringify([
          { ifname: device, addr_info: [{ family: 'inet', local: '10.0.0.1', prefixlen: 32 }] },
        ]),
      });
    const options = { ...DEFAULT_NODE_OPTIONS, steering: 'ipvs' as const };
    await cleanupNode(new CommandRunner(exec, signal), options, undefined);
    return exec.commandLines().filter((line) => line.startsWith('ip link set'));
  };

  it('takes down what it brought up, even when told direct routing (the node ran tunnels before)', async () => {
    expect(
      await cleanup([
        link('lo', true),
        link('tunl0', true, 'egress-proxier'),
        link('ip6tnl0', true, 'egress-proxier'),
      ]),
    ).to.deep.equal(['ip link set dev tunl0 down alias ', 'ip link set dev ip6tnl0 down alias ']);
  });

  it("leaves a device it did not bring up (a CNI's tunl0), and keeps up one given an address since", async () => {
    expect(
      await cleanup([link('tunl0', true), link('ip6tnl0', true, 'egress-proxier')], ['ip6tnl0']),
    ).to.deep.equal(['ip link set dev ip6tnl0 alias ']);
  });
});
