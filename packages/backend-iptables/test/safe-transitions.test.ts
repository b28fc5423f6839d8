// Every intermediate kernel state of a sync is safe. Each case changes a three-node cluster's tables; every node
// syncs on a simulated kernel that records a snapshot after each committed step (each table's transaction, each
// ipset line, each route and rule change), and every pod's packet to every destination of interest is traced
// through every combination of snapshots of its node and of the gateways it reaches. It must be dropped, or leave
// with the source and through the gateways the old or the new tables give it. Negative controls show the tracer
// catches what the former syncs did.
import type { NodeEgressTable } from '@egress-proxier/core';
import { expect } from 'chai';
import { CHAINS } from '../src/names.js';
import { homeOf, NODES, tablesFor, type ClusterPolicy, type NodeName } from './support/cluster-tables.js';
import { perSetIpsetOrder, singleRestore, sortedSlots } from './support/former-syncs.js';
import type { KernelState } from './support/simulated-kernel.js';
import {
  expectNoViolations,
  simulateCluster,
  simulatedProxier,
  violations,
  type ClusterNode,
  type Transition,
} from './support/transition-tracer.js';

const NODE_LIST: ClusterNode[] = (Object.keys(NODES) as NodeName[]).map((name) => ({
  name,
  nodeIP: NODES[name],
}));

// Pods: 10.244.1.x run on node-a, 10.244.2.x on node-b, 10.244.3.x on node-c.
const DB_PODS = ['10.244.1.2', '10.244.1.4', '10.244.2.2', '10.244.3.2'];
const WEB_PODS = ['10.244.1.3', '10.244.1.5', '10.244.3.3'];
const WEB_WITHOUT_3 = WEB_PODS.filter((pod) => pod !== '10.244.1.3');
const DB_RANGE = { destination: '203.0.113.0/24', excluded: ['203.0.113.128/25'] };

const db = (egress: ClusterPolicy['egress'], pods = DB_PODS): ClusterPolicy => ({
  name: 'db',
  pods,
  egress,
  ...DB_RANGE,
});
const web = (egress: ClusterPolicy['egress'], pods = WEB_PODS): ClusterPolicy => ({
  name: 'web',
  pods,
  egress,
});
const on = (gateway: NodeName, ip: string) => [{ ip, gateway }];
const DB_ON_B = on('node-b', '192.0.2.100');
const DB_ON_C = on('node-c', '192.0.2.100');
const DB_ON_A = on('node-a', '192.0.2.100');
const WEB_ON_C = on('node-c', '192.0.2.101');

interface TransitionCase {
  name: string;
  before: ClusterPolicy[];
  after: ClusterPolicy[];
}

const cases: TransitionCase[] = [
  {
    name: 'first install: nothing → steer, snat and drop',
    before: [],
    after: [db(DB_ON_B), web(WEB_ON_C), { name: 'locked', pods: ['10.244.1.7'], egress: 'drop' }],
  },
  {
    name: 'snat ↔ steer and steer to G1 → steer to G2 (db’s IP moves from node-b to node-c)',
    before: [db(DB_ON_B), web(WEB_ON_C)],
    after: [db(DB_ON_C), web(WEB_ON_C)],
  },
  {
    name: 'steer ↔ snat back (db’s IP returns from node-c to node-b)',
    before: [db(DB_ON_C), web(WEB_ON_C)],
    after: [db(DB_ON_B), web(WEB_ON_C)],
  },
  {
    name: 'steer → drop and snat → drop (db, FailClosed, loses its gateway)',
    before: [db(DB_ON_B), web(WEB_ON_C)],
    after: [db('drop'), web(WEB_ON_C)],
  },
  {
    name: 'drop → steer and drop → snat (db gets a gateway again)',
    before: [db('drop'), web(WEB_ON_C)],
    after: [db(DB_ON_B), web(WEB_ON_C)],
  },
  {
    name: 'bypass → steer (FailOpen db gets a gateway)',
    before: [db('bypass'), web(WEB_ON_C)],
    after: [db(DB_ON_B), web(WEB_ON_C)],
  },
  {
    name: 'steer → bypass (FailOpen db loses its gateway)',
    before: [db(DB_ON_B), web(WEB_ON_C)],
    after: [db('bypass'), web(WEB_ON_C)],
  },
  {
    name: 'policy created',
    before: [web(WEB_ON_C)],
    after: [db(DB_ON_B), web(WEB_ON_C)],
  },
  {
    name: 'policy deleted',
    before: [db(DB_ON_B), web(WEB_ON_C)],
    after: [web(WEB_ON_C)],
  },
  {
    name: 'a gateway leaving while another stays (node-b goes, node-c keeps web)',
    before: [db(DB_ON_B), web(WEB_ON_C)],
    after: [db('drop'), web(WEB_ON_C)],
  },
  {
    name: 'a gateway joining while another stays (node-b comes, node-c keeps web)',
    before: [web(WEB_ON_C)],
    after: [db(DB_ON_B), web(WEB_ON_C)],
  },
  {
    name: 'one gateway leaving and another joining (db from node-b to node-a, node-c keeps web)',
    before: [db(DB_ON_B), web(WEB_ON_C)],
    after: [db(DB_ON_A), web(WEB_ON_C)],
  },
  {
    name: 'a pod moving between policies (10.244.1.2 from db to web)',
    before: [db(DB_ON_B), web(WEB_ON_C)],
    after: [db(DB_ON_B, DB_PODS.slice(1)), web(WEB_ON_C, ['10.244.1.2', ...WEB_PODS])],
  },
  {
    name: 'a pod moving between policies (10.244.1.3 from web to db)',
    before: [db(DB_ON_B), web(WEB_ON_C)],
    after: [db(DB_ON_B, [...DB_PODS, '10.244.1.3']), web(WEB_ON_C, WEB_WITHOUT_3)],
  },
  {
    name: 'a pod joining two policies at once (10.244.1.6 into db and web)',
    before: [db(DB_ON_B), web(WEB_ON_C)],
    after: [db(DB_ON_B, [...DB_PODS, '10.244.1.6']), web(WEB_ON_C, [...WEB_PODS, '10.244.1.6'])],
  },
  {
    name: 'a pod leaving two policies at once (10.244.3.2 out of db and web)',
    before: [db(DB_ON_B), web(WEB_ON_C, [...WEB_PODS, '10.244.3.2'])],
    after: [
      db(
        DB_ON_B,
        DB_PODS.filter((pod) => pod !== '10.244.3.2'),
      ),
      web(WEB_ON_C),
    ],
  },
  {
    name: 'priorities swap two rules of the same destination (a reorder, no rule changes content)',
    before: [db(DB_ON_B), { ...web(WEB_ON_C, ['10.244.1.2']), ...DB_RANGE }],
    after: [{ ...web(WEB_ON_C, ['10.244.1.2']), ...DB_RANGE }, db(DB_ON_B)],
  },
];

const tables = (policies: readonly ClusterPolicy[]): Record<string, NodeEgressTable> => tablesFor(policies);

describe('safe transitions: every intermediate kernel state, traced', function () {
  this.timeout(60_000);
  for (const steering of ['onlink', 'vxlan']) {
    describe(`steering ${steering}`, () => {
      const options = { steering };
      for (const { name, before, after } of cases) {
        it(name, async () => {
          const histories = await simulateCluster(NODE_LIST, tables(before), tables(after), options);
          expectNoViolations(violations(histories, { homeOf }));
        });
      }

      it('a restarted agent whose kernel holds other rules (previous rules unknown) drops, never leaks', async () => {
        const restart: Transition = async ({ node, kernel, after }) => {
          const fresh = await simulatedProxier(node, kernel, options);
          await fresh.sync(after, new AbortController().signal);
        };
        const before = tables([db(DB_ON_B), web(WEB_ON_C)]);
        const after = tables([db(DB_ON_C), web(WEB_ON_C)]);
        const histories = await simulateCluster(NODE_LIST, before, after, options, restart);
        expectNoViolations(violations(histories, { homeOf }));
        const unknown = histories
          .flatMap((h) => h.snapshots)
          .some((s) => hasLine(s.state, 'previous unknown'));
        expect(unknown, 'the transition chain dropped all our sources').to.equal(true);
      });

      it('a restarted agent whose kernel already holds its rules writes no chain', async () => {
        const restart: Transition = async ({ node, kernel, after }) => {
          const fresh = await simulatedProxier(node, kernel, options);
          await fresh.sync(after, new AbortController().signal);
        };
        const same = tables([db(DB_ON_B), web(WEB_ON_C)]);
        const histories = await simulateCluster(NODE_LIST, same, same, options, restart);
        const steps = histories.flatMap((h) => h.snapshots.slice(1).map((s) => s.step));
        expect(steps).to.deep.equal([]);
      });

      it('a repair after our nat chains were flushed by hand drops, never leaks', async () => {
        const flushThenSync: Transition = async ({ kernel, proxier, after }) => {
          const nat = kernel.state.iptables[4].get('nat');
          nat?.set(CHAINS.postrouting, []);
          nat?.set(CHAINS.canary, []);
          kernel.record('flushed by hand');
          await proxier.sync(after, new AbortController().signal);
        };
        const same = tables([db(DB_ON_B), web(WEB_ON_C)]);
        const histories = await simulateCluster(NODE_LIST, same, same, options, flushThenSync);
        const skip = (_: string, snapshot: { step: string }) => snapshot.step === 'flushed by hand';
        expectNoViolations(violations(histories, { homeOf, skip }));
      });
    });
  }

  describe('negative controls: the tracer catches the former syncs', () => {
    const options = { steering: 'onlink' };
    it('one iptables-restore with all three tables masquerades with a node IP between two commits', async () => {
      const before = tables([db(DB_ON_B), web(WEB_ON_C)]);
      const after = tables([db(DB_ON_C), web(WEB_ON_C)]);
      const histories = await simulateCluster(NODE_LIST, before, after, options, singleRestore(options));
      const found = violations(histories, { homeOf });
      const nodeIPs = Object.values(NODES) as string[];
      expect(found.some((v) => nodeIPs.includes(v.outcome.source))).to.equal(true);
    });

    it('slots following the sorted gateway list steer pods to the wrong gateway when one leaves', async () => {
      const before = tables([db(DB_ON_B), web(WEB_ON_C)]);
      const after = tables([db('drop'), web(WEB_ON_C)]);
      const histories = await simulateCluster(NODE_LIST, before, after, options, sortedSlots(options));
      const found = violations(histories, { homeOf });
      // db's pod on node-a is marked for slot 0, whose route already leads to node-c (web's new slot 0).
      expect(found.some((v) => v.packet.src === '10.244.1.2' && v.outcome.path.includes('node-c'))).to.equal(
        true,
      );
    });

    it('set members changed set by set leave a moving pod in neither set: masqueraded', async () => {
      // web's set (EGP-S-0172…) sorts before db's (EGP-S-EE95…): the pod leaves web before it joins db.
      const before = tables([db(DB_ON_B), web(WEB_ON_C)]);
      const after = tables([db(DB_ON_B, [...DB_PODS, '10.244.1.3']), web(WEB_ON_C, WEB_WITHOUT_3)]);
      const histories = await simulateCluster(NODE_LIST, before, after, options, perSetIpsetOrder(options));
      const found = violations(histories, { homeOf });
      expect(
        found.some((v) => v.packet.src === '10.244.1.3' && v.outcome.source === NODES['node-a']),
      ).to.equal(true);
    });

    it('without the steered-in guard, a gateway that has not learned a pod yet masquerades it', async () => {
      const before = tables([db(DB_ON_B), web(WEB_ON_C)]);
      const after = tables([db(DB_ON_B, [...DB_PODS, '10.244.1.6']), web(WEB_ON_C)]);
      const histories = await simulateCluster(NODE_LIST, before, after, options);
      expectNoViolations(violations(histories, { homeOf }));
      const found = violations(histories, { homeOf, edit: withoutGuard });
      expect(
        found.some((v) => v.packet.src === '10.244.1.6' && v.outcome.source === NODES['node-b']),
      ).to.equal(true);
    });
  });
});

function hasLine(state: KernelState, text: string): boolean {
  return [...state.iptables[4].values()].some((chains) =>
    [...chains.values()].some((rules) => rules.some((rule) => rule.text.includes(text))),
  );
}

function withoutGuard(state: KernelState): KernelState {
  const filter = state.iptables[4].get('filter');
  if (filter === undefined) return state;
  const edited = new Map(
    [...filter].map(([chain, rules]) => [
      chain,
      rules.filter((rule) => !(rule.target.kind === 'jump' && rule.target.chain === CHAINS.steeredIn)),
    ]),
  );
  return {
    ...state,
    iptables: { ...state.iptables, 4: new Map([...state.iptables[4], ['filter', edited]]) },
  };
}
