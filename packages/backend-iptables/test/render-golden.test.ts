import type { NodeEgressTable } from '@egress-proxier/core';
import { emptyNodeEgressTable } from '@egress-proxier/core';
import plugin from '../src/index.js';
import { CLUSTER, DUAL_STACK, ORDERING } from './support/cluster-tables.js';
import { expectGolden, formatRendered } from './support/golden.js';

const cases: { name: string; table: NodeEgressTable; options: Record<string, string | number> }[] = [
  { name: 'empty', table: emptyNodeEgressTable('node-a'), options: { uplink: 'eth0' } },
  { name: 'source-node-onlink', table: CLUSTER['node-a'], options: { uplink: 'eth0' } },
  { name: 'gateway-node-onlink', table: CLUSTER['node-b'], options: { uplink: 'eth0' } },
  { name: 'source-node-vxlan', table: CLUSTER['node-a'], options: { uplink: 'eth0', steering: 'vxlan' } },
  { name: 'cross-action-ordering', table: ORDERING, options: { uplink: 'eth0' } },
  { name: 'dual-stack-gateway', table: DUAL_STACK, options: { uplink: 'ens5' } },
  {
    name: 'uplink-unset-custom-mask',
    table: CLUSTER['node-c'],
    options: { mark: '0x1000000', mask: '0x3f000000' },
  },
];

describe('iptables render (golden files)', () => {
  for (const { name, table, options } of cases) {
    it(`renders ${name}`, () => {
      expectGolden(name, formatRendered(plugin.render(table, options)));
    });
  }
});
