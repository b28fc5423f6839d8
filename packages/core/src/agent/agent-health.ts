// The agent's /healthz and /livez, with kube-proxy's semantics: /livez says the process is not stuck
// (starting or running); /healthz says the datapath is being kept up to date: a sync has succeeded, no
// change has waited longer than two sync periods, and the backend's companion (if any) runs.
import type { HealthReport } from '../observability/http-endpoints.js';
import type { BoundedFrequencyRunner } from '../runner/bounded-frequency-runner.js';

/** `failed`: the start rejected (a failed preflight, a backend that could not be created); not live. */
export type AgentState = 'created' | 'starting' | 'running' | 'failed' | 'stopped';

export interface HealthInputs {
  state: AgentState;
  /** The sync loop's runner; undefined before it exists. */
  runner: BoundedFrequencyRunner | undefined;
  companion: { healthy: boolean; details: Record<string, string> };
  informersSynced: boolean;
  now: number;
  syncPeriodMs: number;
}

export function healthz(input: HealthInputs): HealthReport {
  const lastUpdated = input.runner?.lastSuccessAt;
  const pendingSince = input.runner?.pendingSince;
  const stale = pendingSince !== undefined && input.now - pendingSince > 2 * input.syncPeriodMs;
  return {
    healthy: input.state === 'running' && lastUpdated !== undefined && !stale && input.companion.healthy,
    details: {
      ...input.companion.details,
      lastUpdated: lastUpdated === undefined ? null : new Date(lastUpdated).toISOString(),
      currentTime: new Date(input.now).toISOString(),
      informersSynced: input.informersSynced,
      ...(pendingSince === undefined ? {} : { oldestPendingChange: new Date(pendingSince).toISOString() }),
    },
  };
}

export function livez(state: AgentState, now: number): HealthReport {
  return {
    healthy: state === 'starting' || state === 'running',
    details: { state, currentTime: new Date(now).toISOString() },
  };
}
