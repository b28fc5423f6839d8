// The latest per-Egress conditions a cluster-scope backend reported (SyncReport.policyConditions), kept by
// the leader for its status writer. Only the leader runs the cluster proxier and only it writes status, so
// the store is cleared whenever leadership (and with it the proxier) is lost.
import type { EgressCondition } from '../api/egress-types.js';
import type { PolicyOutcome } from '../model/policy-outcome.js';
import type { SyncReport } from '../plugin/proxier.js';

export class BackendConditionStore {
  /** Per Egress of the last synced table; undefined until this leadership's proxier first synced. */
  private synced: ReadonlyMap<string, readonly EgressCondition[]> | undefined;
  private signature = '';

  /**
   * Records a successful sync of a table holding `policies`. Every one of them gets an entry (a backend may
   * leave out Egresses without problems). Returns whether any Egress's conditions changed.
   */
  record(policies: readonly string[], report: SyncReport): boolean {
    const next = new Map(policies.map((name) => [name, report.policyConditions?.get(name) ?? []]));
    const signature = JSON.stringify([...next]);
    const changed = this.synced === undefined || signature !== this.signature;
    this.synced = next;
    this.signature = signature;
    return changed;
  }

  /** Leadership lost: the next leader's proxier reports afresh. */
  clear(): void {
    this.synced = undefined;
    this.signature = '';
  }

  /**
   * The conditions to write for `outcome`. `undefined` (keep what status has) while the backend has not
   * judged this Egress: before the first sync, or an Egress accepted since. A policy the core does not
   * accept never reaches a backend, so it has none.
   */
  conditionsFor(outcome: PolicyOutcome): readonly EgressCondition[] | undefined {
    if (!outcome.accepted.status) return [];
    return this.synced?.get(outcome.name);
  }
}
