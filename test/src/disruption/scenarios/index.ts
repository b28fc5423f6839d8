// Every disruption scenario, in the order the suite and the soak run them, and the runner both use.
import { withCpuHog } from '../cpu-hog.js';
import { summarizeRuns, targetMisses, type Load, type RunFigures, type RunRecord } from '../targets.js';
import type { DisruptionCluster } from './disruption-cluster.js';
import { applyScenario, deleteScenario, firstEgressScenario } from './egress-scenarios.js';
import type { Scenario, ScenarioOptions } from './scenario.js';
import { sigkillScenario } from './sigkill-scenario.js';
import { apiHangScenario, restartGatewayScenario, restartSourceScenario } from './steady-scenarios.js';

export { BASE_EGRESS, DisruptionCluster, PREREQUISITES, PROBE_EGRESS } from './disruption-cluster.js';
export type { Scenario, ScenarioOptions } from './scenario.js';

export const SCENARIOS: readonly Scenario[] = [
  applyScenario,
  firstEgressScenario,
  deleteScenario,
  sigkillScenario,
  restartGatewayScenario,
  restartSourceScenario,
  apiHangScenario,
];

export const LOADS: readonly Load[] = ['idle', 'hog'];

/** CI's values (the issue): a restart that takes 10 s on a loaded node; an API that hangs for ~10 s. */
export const DEFAULT_SCENARIO_OPTIONS: ScenarioOptions = { restartDelayMs: 10_000, apiHangMs: 10_000 };

/** How long the runner waits for a scenario's own restoration to settle before it steps in. */
const SETTLE_TIMEOUT_MS = 20_000;

const NO_FIGURES: RunFigures = {
  connections: 0,
  wrongSource: 0,
  failed: 0,
  holderSamples: 0,
  ipAbsentSamples: 0,
  twoHolderSamples: 0,
  longestSampleGapMs: 0,
};

/**
 * One run of `scenario` under `load` (the CPU hog runs for the whole scenario, set-up and restoration
 * included, and is stopped also when it throws). The cluster must be steady before; afterwards the runner
 * checks it is steady again, and restores it (recording an error) when the scenario left it changed or threw,
 * so the next run starts clean.
 */
export async function runScenario(
  cluster: DisruptionCluster,
  scenario: Scenario,
  load: Load,
  options: ScenarioOptions = DEFAULT_SCENARIO_OPTIONS,
): Promise<RunRecord> {
  const startedAt = Date.now();
  const errors: string[] = [];
  const before = await cluster.waitSteady(SETTLE_TIMEOUT_MS);
  if (before.length > 0) {
    const fixes = await cluster.restoreSteady();
    errors.push(
      `the cluster was not steady before the run (${before.join('; ')}); fixed: ${fixes.join(', ')}`,
    );
  }
  let figures = NO_FIGURES;
  let details = '';
  try {
    const outcome = await withCpuHog(load === 'hog', () => scenario.run({ cluster, options, load }));
    figures = outcome.figures;
    details = outcome.details;
    errors.push(...outcome.errors);
  } catch (error) {
    errors.push(`the run failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  const after = await cluster.waitSteady(SETTLE_TIMEOUT_MS);
  if (after.length > 0) {
    errors.push(`left the cluster changed: ${after.join('; ')}`);
    const fixes = await cluster.restoreSteady();
    if (fixes.length > 0) errors.push(`restored: ${fixes.join(', ')}`);
  }
  const durationMs = Date.now() - startedAt;
  const record: RunRecord = {
    scenario: scenario.name,
    load,
    figures,
    errors,
    misses: [],
    summary: '',
    durationMs,
  };
  const misses = targetMisses(summarizeRuns(scenario.name, load, [record]), scenario.targets, {
    statistical: false,
  });
  record.misses = misses;
  record.summary =
    `${scenario.name} (${load}, ${(durationMs / 1000).toFixed(0)} s): ${details || 'no figures'}` +
    (errors.length > 0 ? ` — ERRORS: ${errors.join('; ')}` : '') +
    (misses.length > 0 ? ` — MISSED: ${misses.join('; ')}` : '');
  return record;
}
