// Writes Egress status (leader only): for each policy, the desired status from the core's outcome is
// compared with the status in the informer cache and patched (JSON merge patch on the status subresource)
// only when it differs. A steady cluster therefore makes no writes. Runs of `writeChanged` are rate-limited
// by the caller's BoundedFrequencyRunner. Backend conditions (SyncReport.policyConditions) come in through
// `backendConditions`; the writer re-runs when they change, like after any other change. Every status it
// computes, written or not, goes to `statusComputed`: the leader's Events are derived from those.
import type { Logger } from 'pino';
import type { EgressCondition } from '../api/egress-types.js';
import type { EgressModel } from '../model/egress-model.js';
import { computePolicyOutcomes, type PolicyOutcome } from '../model/policy-outcome.js';
import type { Clock } from '../runner/clock.js';
import {
  desiredEgressStatus,
  MAX_BACKEND_CONDITIONS,
  MAX_STATUS_CONDITIONS,
  statusMatches,
  type DesiredEgressStatus,
} from './egress-status.js';
import { KubeApiError, type KubeClient } from './kube-client.js';
import { metav1Time } from './kube-time.js';
import type { SlimEgress } from './slim-convert.js';

/**
 * The backend's conditions for one Egress; `undefined` when the backend has not judged it yet (its conditions
 * already in status are then kept as they are).
 */
export type BackendConditionSource = (outcome: PolicyOutcome) => readonly EgressCondition[] | undefined;

export interface StatusWriterObserver {
  statusWritten?(policy: string, ok: boolean): void;
  /** The status computed for an Egress in a round, before it is compared or written (events come from it). */
  statusComputed?(egress: SlimEgress, desired: DesiredEgressStatus): void;
}

interface WrittenStatus {
  status: DesiredEgressStatus;
  /** The object's resourceVersion in the cache when we wrote, and the one our patch produced. */
  cacheVersionBefore: string;
  resultVersion: string;
}

const EGRESS_PATH = '/apis/egress.proxier.io/v1alpha1/egresses';

export class StatusWriter {
  private readonly written = new Map<string, WrittenStatus>();

  constructor(
    private readonly client: KubeClient,
    private readonly model: EgressModel,
    private readonly egress: (name: string) => SlimEgress | undefined,
    private readonly backendConditions: BackendConditionSource,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly observer: StatusWriterObserver = {},
    private readonly requestTimeoutMs = 10_000,
  ) {}

  /** Patches every Egress whose status differs from the desired one; returns how many were written. */
  async writeChanged(signal: AbortSignal): Promise<number> {
    const now = metav1Time(this.clock.now());
    let writes = 0;
    let failures = 0;
    for (const outcome of computePolicyOutcomes(this.model)) {
      if (signal.aborted) break;
      const cached = this.egress(outcome.name);
      if (!cached) continue;
      const backend = this.backendConditions(outcome);
      const desired = desiredEgressStatus(outcome, cached.status, now, backend);
      this.observer.statusComputed?.(cached, desired);
      if (statusMatches(desired, cached.status)) {
        this.written.delete(outcome.name);
        continue;
      }
      // Our own patch may not have reached the cache yet: do not write the same status twice.
      const mine = this.written.get(outcome.name);
      const cacheVersion = cached.metadata.resourceVersion;
      if (
        mine &&
        (cacheVersion === mine.cacheVersionBefore || cacheVersion === mine.resultVersion) &&
        statusMatches(desired, mine.status as unknown as Record<string, unknown>)
      )
        continue;
      try {
        const result = await this.client.request<{ metadata?: { resourceVersion?: string } }>({
          method: 'PATCH',
          path: `${EGRESS_PATH}/${encodeURIComponent(outcome.name)}/status`,
          contentType: 'application/merge-patch+json',
          body: { status: desired },
          timeoutMs: this.requestTimeoutMs,
          signal,
        });
        this.written.set(outcome.name, {
          status: desired,
          cacheVersionBefore: cacheVersion,
          resultVersion: result.metadata?.resourceVersion ?? '',
        });
        writes++;
        if (backend !== undefined && backend.length > MAX_BACKEND_CONDITIONS) {
          this.logger.warn(
            { egress: outcome.name, left_out: backend.slice(MAX_BACKEND_CONDITIONS).map((c) => c.type) },
            `more than ${MAX_BACKEND_CONDITIONS} backend conditions: the Egress CRD allows ${MAX_STATUS_CONDITIONS} in all`,
          );
        }
        this.observer.statusWritten?.(outcome.name, true);
      } catch (error) {
        if (error instanceof KubeApiError && error.statusCode === 404) continue; // deleted meanwhile
        failures++;
        this.observer.statusWritten?.(outcome.name, false);
        this.logger.warn({ err: error, egress: outcome.name }, 'status write failed');
      }
    }
    for (const name of this.written.keys()) if (!this.egress(name)) this.written.delete(name);
    if (failures > 0) throw new Error(`${failures} status write(s) failed`);
    return writes;
  }
}
