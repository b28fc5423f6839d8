import type { NodeEgressTable } from '@egress-proxier/core';
import { expect } from 'chai';
import {
  addSteering,
  buildNodeDatapath,
  DEFAULT_NODE_OPTIONS,
  nodeViewOfApplied,
  OnLinkSteering,
  removeSteering,
  steeringDriver,
  type Command,
  type NodeKernelView,
} from '../src/index.js';

const gateway = (node: string, nodeIP: string) => ({ node, nodeIP });

/** node-a's table: one pod set steered to node-b (both families) and one to node-c (IPv4), hosting nothing. */
const table: NodeEgressTable = {
  node: 'node-a',
  clusterCIDRs: ['10.244.0.0/16', 'fd00:10:244::/48'],
  hostedEgressIPs: [
    { ip: '192.0.2.100', family: 4, policies: ['own'] },
    { ip: '2001:db8::100', family: 6, policies: ['own'] },
  ],
  sourceSets: [],
  rules: [
    {
      policy: 'db',
      family: 4,
      sourceSet: 's4',
      destination: '0.0.0.0/0',
      excludedCIDRs: [],
      failurePolicy: 'FailOpen',
      action: { kind: 'steer', egressIP: '192.0.2.101', gateway: gateway('node-b', '192.0.2.12') },
    },
    {
      policy: 'db',
      family: 6,
      sourceSet: 's6',
      destination: '::/0',
      excludedCIDRs: [],
      failurePolicy: 'FailOpen',
      action: { kind: 'steer', egressIP: '2001:db8::101', gateway: gateway('node-b', '2001:db8::12') },
    },
    {
      policy: 'web',
      family: 4,
      sourceSet: 'w4',
      destination: '0.0.0.0/0',
      excludedCIDRs: [],
      failurePolicy: 'FailOpen',
      action: { kind: 'steer', egressIP: '192.0.2.102', gateway: gateway('node-c', '192.0.2.13') },
    },
  ],
};
const slots = [
  { node: 'node-b', mark: 0x100, table: 7100, priority: 7100 },
  { node: 'node-c', mark: 0x200, table: 7101, priority: 7101 },
];

const empty: NodeKernelView = {
  rules: [],
  routes: [],
  addresses: [],
  vxlan: { exists: false, remotes: [], addressed: false },
  ipvs: undefined,
};

function recorder() {
  const lines: string[] = [];
  return {
    lines,
    run: async (command: Command) => void lines.push([command.command, ...command.args].join(' ')),
  };
}

describe('steering drivers', () => {
  it('on-link: one route per gateway and family via the uplink, no tunnel', () => {
    const datapath = buildNodeDatapath(table, steeringDriver(DEFAULT_NODE_OPTIONS, 'eth0'), 'eth0', slots);
    expect(
      datapath.routes.map(
        (r) => `${r.family} ${r.gatewayNode} ${r.mark} ${r.table} ${r.via} ${r.device} ${r.tunnelEndpoint}`,
      ),
    ).to.deep.equal([
      '4 node-b 256 7100 192.0.2.12 eth0 undefined',
      '6 node-b 256 7100 2001:db8::12 eth0 undefined',
      '4 node-c 512 7101 192.0.2.13 eth0 undefined',
    ]);
    expect(datapath.vxlan).to.equal(undefined);
    expect(datapath.addresses.map((a) => [a.cidr, a.label])).to.deep.equal([
      ['192.0.2.100/32', 'eth0:egp'],
      ['2001:db8::100/128', undefined],
    ]);
  });

  it('VXLAN: routes into the tunnel, throw routes for IPv4 endpoints, flood entries per IPv4 gateway', () => {
    const options = { ...DEFAULT_NODE_OPTIONS, steering: 'vxlan' as const };
    const driver = steeringDriver(options, 'eth0');
    const datapath = buildNodeDatapath(table, driver, 'eth0', slots);
    expect(datapath.routes.map((r) => `${r.family} ${r.device} ${r.tunnelEndpoint}`)).to.deep.equal([
      '4 egp-vx 192.0.2.12',
      '6 egp-vx undefined',
      '4 egp-vx 192.0.2.13',
    ]);
    expect(datapath.vxlan).to.deep.equal({
      device: 'egp-vx',
      id: 4790,
      port: 4789,
      mtu: 1450,
      uplink: 'eth0',
      remotes: ['192.0.2.12', '192.0.2.13'],
    });
    expect(driver.ingressDevices(4)).to.deep.equal(['eth0', 'egp-vx']);
    expect(driver.mssClamp()).to.deep.equal({ kind: 'tunnel-device', device: 'egp-vx', mtu: 1450 });
  });

  it('on-link removes a VXLAN device an earlier steering=vxlan left', async () => {
    const { lines, run } = recorder();
    const driver = new OnLinkSteering('eth0', 0x3f00, 'egp-vx');
    await driver.retire(run, undefined, undefined, {
      ...empty,
      vxlan: { exists: true, remotes: [], addressed: true },
    });
    await driver.retire(run, undefined, undefined, empty);
    expect(lines).to.deep.equal(['ip link del egp-vx']);
  });
});

describe('policy routing', () => {
  const datapath = buildNodeDatapath(
    table,
    steeringDriver({ ...DEFAULT_NODE_OPTIONS, steering: 'vxlan' }, 'eth0'),
    'eth0',
    slots,
  );

  it('on an empty kernel adds each table route (and throw route) before any rule', async () => {
    const { lines, run } = recorder();
    await addSteering(run, datapath.routes, empty);
    expect(lines).to.deep.equal([
      'ip -4 route replace default via 192.0.2.12 dev egp-vx onlink table 7100',
      'ip -4 route replace throw 192.0.2.12/32 table 7100',
      'ip -6 route replace default via 2001:db8::12 dev egp-vx onlink table 7100',
      'ip -4 route replace default via 192.0.2.13 dev egp-vx onlink table 7101',
      'ip -4 route replace throw 192.0.2.13/32 table 7101',
      'ip -4 rule add fwmark 0x100/0x3f00 lookup 7100 priority 7100',
      'ip -6 rule add fwmark 0x100/0x3f00 lookup 7100 priority 7100',
      'ip -4 rule add fwmark 0x200/0x3f00 lookup 7101 priority 7101',
    ]);
  });

  it('changes nothing when the kernel holds it all, and repairs only what is missing', async () => {
    const held = nodeViewOfApplied(datapath);
    const unchanged = recorder();
    await addSteering(unchanged.run, datapath.routes, held);
    await removeSteering(unchanged.run, datapath.routes, held);
    expect(unchanged.lines).to.deep.equal([]);
    const drifted = {
      ...held,
      rules: held.rules.slice(1),
      routes: held.routes.filter((r) => r.type !== 'throw' || r.table !== 7101),
    };
    const repair = recorder();
    await addSteering(repair.run, datapath.routes, drifted);
    expect(repair.lines).to.deep.equal([
      'ip -4 route replace throw 192.0.2.13/32 table 7101',
      'ip -4 rule add fwmark 0x100/0x3f00 lookup 7100 priority 7100',
    ]);
  });

  it('removes a gone gateway: its rules first, then its table', async () => {
    const held = nodeViewOfApplied(datapath);
    const { lines, run } = recorder();
    await removeSteering(
      run,
      datapath.routes.filter((route) => route.gatewayNode === 'node-b'),
      held,
    );
    expect(lines).to.deep.equal([
      'ip -4 rule del fwmark 0x200/0x3f00 lookup 7101 priority 7101',
      'ip -4 route flush table 7101',
    ]);
  });
});
