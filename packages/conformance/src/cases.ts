// The suite: every case by id, in the order they run (cleanup last: it compares with the kernel before the
// first sync). A case runs once per family unless it says otherwise.
import type { Family } from './addresses.js';
import type { CaseContext } from './case-context.js';
import { moveKeepsConnectionsCase, restartKeepsConnectionsCase } from './connection-cases.js';
import { runSourceCase, runSpreadCase, SOURCE_CASES } from './source-cases.js';
import {
  driftCase,
  gatewaySortingFirstCase,
  idempotentCase,
  lifetimeExpiryCase,
  renderMatchesKernelCase,
  restartAdoptionCase,
  transitionsCase,
} from './state-cases.js';
import { trafficCountedCase } from './traffic-cases.js';

export interface ConformanceCase {
  id: string;
  title: string;
  run(context: CaseContext): Promise<void>;
  families?: readonly Family[];
}

export const CLEANUP_CASE_ID = 'cleanup-restores-kernel';

export const CONFORMANCE_CASES: readonly ConformanceCase[] = [
  ...SOURCE_CASES.map((testCase) => ({
    id: testCase.id,
    title: testCase.title,
    run: (context: CaseContext) => runSourceCase(testCase, context),
  })),
  {
    id: 'several-ips-spread',
    title: 'several egress IPs spread pods as the core picks, all IPs used',
    run: runSpreadCase,
  },
  {
    id: 'second-sync-unchanged',
    title: 'a second sync of the same table changes nothing (changed=false)',
    run: idempotentCase,
  },
  {
    id: 'render-equals-kernel',
    title: 'render(table) equals what sync(table) left in the kernel',
    run: renderMatchesKernelCase,
  },
  {
    id: 'drift-repaired',
    title: 'removed egress address and ip rules are back after one periodic sync',
    run: driftCase,
  },
  {
    id: 'restart-adopts',
    title: 'a restarted proxier (new instance) adopts the kernel with no failed connection',
    run: restartAdoptionCase,
  },
  {
    id: 'restart-keeps-connections',
    title: 'connections open across a proxier restart (SNATed here and steered in) lose no byte',
    run: restartKeepsConnectionsCase,
  },
  {
    id: 'move-keeps-connections',
    title:
      'connections open while the egress IP moves to another gateway carry on, same source address and port',
    run: moveKeepsConnectionsCase,
  },
  {
    id: 'traffic-counted',
    title: 'the gateway counts connections, bytes and SNAT ports of an egress IP (local and steered pods)',
    run: trafficCountedCase,
  },
  {
    id: 'lifetime-expires',
    title: 'an egress IP expires by itself when heartbeats stop',
    run: lifetimeExpiryCase,
  },
  {
    id: 'gateway-sorting-first-joins',
    title: 'a gateway that sorts before the others joins: no other gateway’s traffic fails or changes source',
    run: gatewaySortingFirstCase,
  },
  {
    id: 'transitions-no-wrong-source',
    title: 'create, move, second gateway, delete under a connection loop: no wrong source',
    run: transitionsCase,
  },
];

export function caseIds(): string[] {
  return [...CONFORMANCE_CASES.map((testCase) => testCase.id), CLEANUP_CASE_ID];
}
