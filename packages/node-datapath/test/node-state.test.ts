import { RecordingExec } from '@egress-proxier/core/testing';
import { expect } from 'chai';
import {
  adoptAddresses,
  CommandRunner,
  DEFAULT_NODE_OPTIONS,
  nodeDrift,
  nodeFactWarnings,
  readNodeFacts,
  readNodeKernelView,
  type NodeKernelView,
} from '../src/index.js';
import { addressJson, floodJson, signal, vxlanLinkJson } from './support/fixtures.js';

const applied: NodeKernelView = {
  rules: [{ family: 4, priority: 7100, mark: 0x100, mask: 0x3f00, table: 7100 }],
  routes: [{ family: 4, table: 7100, type: 'unicast', dst: 'default', via: '192.0.2.12', device: 'egp-vx' }],
  addresses: [
    {
      device: 'eth0',
      family: 4,
      local: '192.0.2.100',
      prefixLength: 32,
      label: 'eth0:egp',
      dynamic: true,
      nodad: false,
    },
  ],
  vxlan: { exists: true, remotes: ['192.0.2.12', '192.0.2.13'], addressed: true },
  ipvs: undefined,
};

describe('the node kernel view', () => {
  it('reads only our rules, routes and addresses, and the VXLAN flood entries', async () => {
    const exec = new RecordingExec()
      .respond('ip -j -4 rule show', {
        stdout: JSON.stringify([
          { priority: 0, src: 'all', table: 'local' },
          { priority: 7100, src: 'all', fwmark: '0x100', fwmask: '0x3f00', table: '7100' },
          { priority: 9000, src: 'all', fwmark: '0x4000', fwmask: '0x4000', table: '7100' },
          { priority: 7200, src: 'all', fwmark: '0x100', fwmask: '0x3f00', table: '300' },
        ]),
      })
      .respond('ip -j -4 route show table all', {
        stdout: JSON.stringify([
          { dst: 'default', gateway: '192.0.2.1', dev: 'eth0' },
          { dst: 'default', gateway: '192.0.2.12', dev: 'egp-vx', table: '7100', flags: ['onlink'] },
          { type: 'throw', dst: '192.0.2.12', table: '7100' },
          { dst: 'default', gateway: '192.0.2.99', dev: 'eth0', table: '100' },
        ]),
      })
      .respond('ip -j addr show dev eth0', {
        stdout: addressJson('eth0', ['192.0.2.11/24/eth0', '192.0.2.100/32/eth0:egp', '192.0.2.200/32/eth0']),
      })
      .respond('ip -j -d link show dev egp-vx', { stdout: vxlanLinkJson('egp-vx') })
      .respond('bridge -j fdb show dev egp-vx', { stdout: floodJson(['192.0.2.13', '192.0.2.12']) })
      .respond('ip -j -4 addr show dev egp-vx', { stdout: addressJson('egp-vx', ['192.0.0.8/32']) });
    const view = await readNodeKernelView(new CommandRunner(exec, signal), DEFAULT_NODE_OPTIONS, 'eth0');
    expect(view).to.deep.equal({
      ...applied,
      routes: [
        ...applied.routes,
        { family: 4, table: 7100, type: 'throw', dst: '192.0.2.12', via: undefined, device: undefined },
      ],
      addresses: [{ ...applied.addresses[0], dynamic: false }],
    });
    expect(await adoptAddresses(new CommandRunner(exec, signal), 'eth0')).to.deep.equal([
      { ip: '192.0.2.100', family: 4, cidr: '192.0.2.100/32', device: 'eth0', label: 'eth0:egp' },
    ]);
  });

  it('names what drifted: a deleted rule, a flushed route, a lost FDB entry, an added address', () => {
    const actual: NodeKernelView = {
      rules: [],
      routes: [],
      addresses: [...applied.addresses, { ...applied.addresses[0]!, local: '192.0.2.101' }],
      vxlan: { exists: true, remotes: ['192.0.2.12'], addressed: true },
      ipvs: undefined,
    };
    expect(nodeDrift(applied, applied)).to.deep.equal([]);
    expect(nodeDrift(applied, actual)).to.deep.equal([
      'ip rule v4 fwmark 0x100/0x3f00 lookup 7100 priority 7100 missing',
      'route v4 unicast default via 192.0.2.12 dev egp-vx table 7100 missing',
      'unexpected egress address 192.0.2.101/32 dev eth0',
      'FDB flood entry to 192.0.2.13 missing',
    ]);
    expect(
      nodeDrift(applied, { ...actual, vxlan: { exists: false, remotes: [], addressed: false } }),
    ).to.include('VXLAN device missing');
  });
});

describe('node facts', () => {
  it('reads the ifindex, MTU and the effective (max of all and device) rp_filter and arp_ignore', async () => {
    const exec = new RecordingExec()
      .respond('ip -j link show dev eth0', {
        stdout: JSON.stringify([{ ifindex: 7, ifname: 'eth0', mtu: 1400 }]),
      })
      .respond('sysctl -n net.ipv4.conf.all.rp_filter', { stdout: '0\n1\n' })
      .respond('sysctl -n net.ipv4.conf.all.arp_ignore', { stdout: '2\n0\n' });
    const facts = await readNodeFacts(new CommandRunner(exec, signal), 'eth0');
    expect(facts).to.deep.equal({ uplink: 'eth0', ifindex: 7, mtu: 1400, rpFilter: 1, arpIgnore: 2 });
    expect(
      nodeFactWarnings(facts, { ...DEFAULT_NODE_OPTIONS, steering: 'vxlan', vxlanMtu: 1450 }).map(
        (w) => w.split(':')[0],
      ),
    ).to.deep.equal([
      'strict rp_filter on the uplink',
      'arp_ignore=2 on the uplink',
      "VXLAN MTU 1450 does not fit the uplink's 1400 minus 50 bytes of encapsulation",
    ]);
    expect(
      nodeFactWarnings(
        { ...facts, rpFilter: 2, arpIgnore: 1, mtu: 1500 },
        { ...DEFAULT_NODE_OPTIONS, steering: 'vxlan', vxlanMtu: 1450 },
      ),
    ).to.deep.equal([]);
  });
});
