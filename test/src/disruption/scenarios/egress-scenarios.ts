// Scenarios of the Egress lifecycle: apply on a running cluster, the first Egress after every agent (re)started,
// and delete. Verdicts: egress-transition.ts.
import { BOUNDS, TIMELINE } from '../targets.js';
import { BASE_EGRESS, PROBE_EGRESS } from './disruption-cluster.js';
import { measureTransition, waitUntilPodsLeaveAs } from './egress-transition.js';
import { sleep } from './observe.js';
import type { Scenario } from './scenario.js';

/** kubectl apply of PROBE_EGRESS while BASE_EGRESS already keeps the gateways eligible. */
export const applyScenario: Scenario = {
  name: 'apply',
  title:
    'kubectl apply of an Egress: pods go from their node IP to the egress IP, with no other source between',
  targets: { applyToEgress: { p90Ms: BOUNDS.applyToEgressP90Ms, perRunMs: BOUNDS.applyToEgressMs } },
  timeoutMs: () => 90_000,
  async run({ cluster }) {
    const egress = PROBE_EGRESS;
    const gateway = cluster.expectedGateway(egress);
    const measured = await measureTransition(cluster, {
      egress,
      gateway,
      direction: 'on',
      act: () => cluster.applyEgress(egress),
    });
    // Back to the steady state (PROBE_EGRESS absent), outside the window.
    await cluster.deleteEgress(egress);
    await waitUntilPodsLeaveAs(cluster, egress, (pod) => cluster.nodeIPOf(pod), 'node IPs after the delete');
    return {
      figures: { ...measured.figures, applyToEgressMs: measured.verdicts.map((v) => v.transitionMs ?? null) },
      errors: measured.errors,
      details: `gateway ${gateway}; ${measured.details}`,
    };
  },
};

/**
 * BASE_EGRESS deleted, every agent restarted (SIGTERM, start) with no Egress at all, then left alone for a lease
 * duration and a heartbeat interval, so no heartbeat lease is fresh any more — a fresh install. Then the
 * first Egress is applied and measured like `apply`.
 */
export const firstEgressScenario: Scenario = {
  name: 'first-egress',
  title: 'the first Egress after every agent (re)started: egress IP within a sync, no other source between',
  targets: { applyToEgress: { p90Ms: BOUNDS.applyToEgressP90Ms, perRunMs: BOUNDS.applyToEgressMs } },
  timeoutMs: () => 120_000,
  async run({ cluster }) {
    const egress = BASE_EGRESS;
    const gateway = cluster.expectedGateway(egress);
    const live = cluster.live;
    await cluster.deleteEgress(egress);
    await waitUntilPodsLeaveAs(
      cluster,
      egress,
      (pod) => cluster.nodeIPOf(pod),
      'node IPs without any Egress',
    );
    await Promise.all(cluster.nodeNames.map((node) => live.stopAgent(node, 'SIGTERM')));
    for (const node of cluster.nodeNames) live.startAgent(node);
    await Promise.all(cluster.nodeNames.map((node) => cluster.waitHealthy(node)));
    const restartedAt = Date.now();
    await sleep(TIMELINE.leaseDurationMs + TIMELINE.heartbeatIntervalMs);
    const measured = await measureTransition(cluster, {
      egress,
      gateway,
      direction: 'on',
      act: () => cluster.applyEgress(egress),
    });
    return {
      figures: { ...measured.figures, applyToEgressMs: measured.verdicts.map((v) => v.transitionMs ?? null) },
      errors: measured.errors,
      details: `gateway ${gateway}; applied ${((measured.at - restartedAt) / 1000).toFixed(1)} s after all agents were healthy; ${measured.details}`,
    };
  },
};

/** kubectl delete of PROBE_EGRESS (created and settled before the window). */
export const deleteScenario: Scenario = {
  name: 'delete',
  title:
    'kubectl delete of an Egress: pods go from the egress IP to their node IP, with no other source between',
  targets: {},
  timeoutMs: () => 90_000,
  async run({ cluster }) {
    const egress = PROBE_EGRESS;
    const gateway = cluster.expectedGateway(egress);
    await cluster.applyEgress(egress);
    await waitUntilPodsLeaveAs(
      cluster,
      egress,
      () => egress.egressIP,
      `every pod to leave as ${egress.egressIP}`,
    );
    const holders = await cluster.live.holders(egress.egressIP);
    const measured = await measureTransition(cluster, {
      egress,
      gateway,
      direction: 'off',
      act: () => cluster.deleteEgress(egress),
    });
    const errors = [...measured.errors];
    if (holders.join() !== gateway)
      errors.unshift(`before the delete ${egress.egressIP} was on [${holders.join(', ')}], not [${gateway}]`);
    return { figures: measured.figures, errors, details: `gateway ${gateway}; ${measured.details}` };
  },
};
