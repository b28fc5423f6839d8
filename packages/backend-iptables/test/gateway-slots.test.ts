import { expect } from 'chai';
import { slotsInKernel } from '../src/apply/slots-in-kernel.js';
import type { KernelView } from '../src/apply/kernel-view.js';
import { GatewaySlotAllocator, SlotLayout, type SlotsInKernel } from '@egress-proxier/node-datapath';
import { DEFAULT_OPTIONS, parseOptions } from '../src/options.js';
import { parseIptablesSave } from '../src/state/iptables-save.js';
import type { EgressRule, NodeEgressTable } from '@egress-proxier/core';
import { CLUSTER, sourceSet, steer, table } from './support/cluster-tables.js';
import { NodeTracer } from './support/packet-tracer.js';
import { SimulatedKernel, tracerView } from './support/simulated-kernel.js';
import { simulatedProxier } from './support/transition-tracer.js';

const layout = new SlotLayout(DEFAULT_OPTIONS);

interface AllocatorCase {
  name: string;
  /** Slots the kernel holds before the first allocation (adopt), if any. */
  adopt?: [number, string | undefined][];
  /** Each allocation: the gateways asked for, node → slot index given, and the nodes left without a slot. */
  steps: { gateways: string[]; slots: Record<string, number>; deferred?: string[] }[];
  layout?: SlotLayout;
}

const cases: AllocatorCase[] = [
  {
    name: 'a fresh allocator numbers gateways in name order (what render shows)',
    steps: [{ gateways: ['node-c', 'node-b', 'node-d'], slots: { 'node-b': 0, 'node-c': 1, 'node-d': 2 } }],
  },
  {
    name: 'a gateway leaving never renumbers the others',
    steps: [
      { gateways: ['node-b', 'node-c', 'node-d'], slots: { 'node-b': 0, 'node-c': 1, 'node-d': 2 } },
      { gateways: ['node-c', 'node-d'], slots: { 'node-c': 1, 'node-d': 2 } },
    ],
  },
  {
    name: 'a released slot is not reused by the apply that releases it, only by a later one',
    steps: [
      { gateways: ['node-b', 'node-c'], slots: { 'node-b': 0, 'node-c': 1 } },
      { gateways: ['node-a', 'node-c'], slots: { 'node-a': 2, 'node-c': 1 } },
      { gateways: ['node-a', 'node-c', 'node-e'], slots: { 'node-a': 2, 'node-c': 1, 'node-e': 0 } },
    ],
  },
  {
    name: 'a new gateway gets the lowest free slot',
    steps: [
      { gateways: ['node-b', 'node-c', 'node-d'], slots: { 'node-b': 0, 'node-c': 1, 'node-d': 2 } },
      { gateways: ['node-d'], slots: { 'node-d': 2 } },
      { gateways: ['node-d', 'node-x', 'node-y'], slots: { 'node-d': 2, 'node-x': 0, 'node-y': 1 } },
    ],
  },
  {
    name: 'adoption keeps the kernel numbering and holds unclaimed kernel slots back for one apply',
    adopt: [
      [3, 'node-c'],
      [0, undefined],
      [5, 'node-b'],
    ],
    steps: [
      { gateways: ['node-b', 'node-c', 'node-d'], slots: { 'node-b': 5, 'node-c': 3, 'node-d': 1 } },
      {
        gateways: ['node-b', 'node-c', 'node-d', 'node-e'],
        slots: { 'node-b': 5, 'node-c': 3, 'node-d': 1, 'node-e': 0 },
      },
    ],
  },
  {
    name: 'a gateway found on two kernel slots keeps the lower one; the other is released',
    adopt: [
      [4, 'node-b'],
      [2, 'node-b'],
    ],
    steps: [{ gateways: ['node-b', 'node-c'], slots: { 'node-b': 2, 'node-c': 0 } }],
  },
  {
    name: 'with every free slot still being released, a new gateway waits for the next apply',
    layout: new SlotLayout({ ...DEFAULT_OPTIONS, mark: 0x100, mask: 0x300 }),
    steps: [
      { gateways: ['node-a', 'node-b', 'node-c'], slots: { 'node-a': 0, 'node-b': 1, 'node-c': 2 } },
      { gateways: ['node-b', 'node-c', 'node-d'], slots: { 'node-b': 1, 'node-c': 2 }, deferred: ['node-d'] },
      { gateways: ['node-b', 'node-c', 'node-d'], slots: { 'node-b': 1, 'node-c': 2, 'node-d': 0 } },
    ],
  },
];

describe('gateway slot allocator', () => {
  for (const testCase of cases) {
    it(testCase.name, () => {
      const used = testCase.layout ?? layout;
      const allocator = new GatewaySlotAllocator(used);
      if (testCase.adopt !== undefined) allocator.adopt(new Map(testCase.adopt));
      for (const [step, { gateways, slots, deferred = [] }] of testCase.steps.entries()) {
        const allocation = allocator.allocate(gateways);
        const indexes = Object.fromEntries(
          allocation.slots.map((slot) => [slot.node, used.indexOfTable(slot.table)]),
        );
        expect(indexes, `allocation ${step + 1}`).to.deep.equal(slots);
        expect(allocation.deferred, `allocation ${step + 1}`).to.deep.equal(deferred);
      }
    });
  }

  it('derives mark, table and priority from the index', () => {
    const allocator = new GatewaySlotAllocator(layout);
    allocator.allocate(['node-b', 'node-c']);
    expect(allocator.allocate(['node-c', 'node-d']).slots).to.deep.equal([
      { node: 'node-c', mark: 0x200, table: 7101, priority: 7101 },
      { node: 'node-d', mark: 0x300, table: 7102, priority: 7102 },
    ]);
  });

  it('refuses more gateways than the mask has marks, naming mark, mask and capacity', () => {
    const small = new SlotLayout(parseOptions({ mark: '0x100', mask: '0x300' }));
    const gateways = ['a', 'b', 'c', 'd'];
    expect(() => new GatewaySlotAllocator(small).allocate(gateways)).to.throw(
      '4 gateway nodes need distinct marks but mark 0x100 in mask 0x300 leaves room for 3',
    );
  });
});

describe('slots re-learned from the kernel', () => {
  const newTable = table('node-a', {
    sets: CLUSTER['node-a'].sourceSets,
    rules: [steer('db', '192.0.2.100', 'node-b'), steer('web', '192.0.2.101', 'node-c')],
  });
  const rule = (index: number, overrides: Partial<KernelView['rules'][number]> = {}) => ({
    family: 4 as const,
    mark: 0x100 * (index + 1),
    mask: 0x3f00,
    table: 7100 + index,
    priority: 7100 + index,
    ...overrides,
  });
  const route = (index: number, via: string) => ({
    family: 4 as const,
    table: 7100 + index,
    type: 'unicast',
    dst: 'default',
    via,
    device: 'eth0',
  });
  const view = (parts: Partial<KernelView>): KernelView => ({
    ipsets: new Map(),
    iptables: new Map(),
    rules: [],
    routes: [],
    addresses: [],
    vxlan: { exists: false, remotes: [], addressed: false },
    ipvs: undefined,
    ...parts,
  });
  const learned = (kernel: KernelView): [number, string | undefined][] =>
    [...(slotsInKernel(kernel, layout, newTable) as Map<number, string | undefined>)].sort(
      ([a], [b]) => a - b,
    );

  it('maps a slot to the gateway whose node IP its table routes to', () => {
    const kernel = view({
      rules: [rule(0), rule(4)],
      routes: [route(0, '192.0.2.13'), route(4, '192.0.2.12')],
    });
    expect(learned(kernel)).to.deep.equal([
      [0, 'node-c'],
      [4, 'node-b'],
    ]);
  });

  it('holds back slots routed to no gateway of the new table, orphan tables and marks in our mangle chain', () => {
    const saved = parseIptablesSave(
      [
        '*mangle',
        ':EGRESS-PROXIER-MARK - [0:0]',
        '-A EGRESS-PROXIER-MARK -m set --match-set EGP-S-X src -j MARK --set-xmark 0x800/0x3f00',
        'COMMIT',
      ].join('\n'),
    );
    const kernel = view({
      rules: [rule(0), rule(1, { priority: 9 })],
      routes: [route(0, '192.0.2.99'), route(1, '192.0.2.12'), route(2, '192.0.2.12')],
      iptables: new Map([[4, { kind: 'read', saved, present: true }]]),
    });
    const expected: SlotsInKernel = new Map([
      [0, undefined],
      [1, undefined],
      [2, undefined],
      [7, undefined],
    ]);
    expect(learned(kernel)).to.deep.equal([...expected]);
  });
});

describe('a sync at slot capacity (real proxier, simulated kernel)', () => {
  // Two slots only: node-b leaves and node-d joins while node-c keeps the other slot.
  const options = { mark: '0x200', mask: '0x300' };
  const toNodeD = (rule: EgressRule): EgressRule => ({
    ...rule,
    action: {
      kind: 'steer' as const,
      egressIP: '192.0.2.100',
      gateway: { node: 'node-d', nodeIP: '192.0.2.14' },
    },
  });
  const sets = [sourceSet('db/192.0.2.100', ['10.244.1.2']), sourceSet('web/192.0.2.101', ['10.244.1.3'])];
  const before = table('node-a', {
    sets,
    rules: [steer('db', '192.0.2.100', 'node-b', '203.0.113.0/24'), steer('web', '192.0.2.101', 'node-c')],
  });
  const [dbRule, webRule] = before.rules;
  if (dbRule === undefined || webRule === undefined) throw new Error('two rules expected');
  const after: NodeEgressTable = { ...before, rules: [toNodeD(dbRule), webRule] };

  it('withholds steering to the new gateway for one apply and never sends a pod to another gateway', async () => {
    const kernel = new SimulatedKernel('eth0', '192.0.2.11');
    const proxier = await simulatedProxier({ name: 'node-a', nodeIP: '192.0.2.11' }, kernel, options);
    await proxier.sync(before, new AbortController().signal);
    kernel.mark();
    await proxier.sync(after, new AbortController().signal);
    const verdicts = (src: string, dst: string) =>
      kernel.snapshots.map((snapshot) => {
        const verdict = new NodeTracer(tracerView(snapshot.state, 4)).trace({ src, dst });
        return verdict.kind === 'steered' ? `via ${verdict.via}` : verdict.kind;
      });
    expect([...new Set(verdicts('10.244.1.2', '203.0.113.1'))]).to.deep.equal([
      'via 192.0.2.12',
      'dropped',
      'via 192.0.2.14',
    ]);
    expect([...new Set(verdicts('10.244.1.3', '198.51.100.7'))]).to.deep.equal(['via 192.0.2.13']);
    expect(kernel.state.rules.map((rule) => [rule.mark, rule.table]).sort()).to.deep.equal([
      [0x200, 7100],
      [0x300, 7101],
    ]);
  });
});
