// The status an Egress should have, from the core's per-policy outcome (docs/api-reference.md, "Status").
// Pure: compared with what the object already has so that an unchanged status is never written, and
// `lastTransitionTime` moves only when a condition's status flips. Conditions a backend reports (e.g.
// Calico's PodsPendingRecreate) follow the core's three, under the same transition-time rule.
import type { ConditionStatus, EgressCondition } from '../api/egress-types.js';
import type { PolicyOutcome } from '../model/policy-outcome.js';

/** The types the core owns; any other type in `status.conditions` is a backend's. */
export const CORE_CONDITION_TYPES: readonly string[] = ['Accepted', 'Ready', 'Conflicted'];

/** The Egress CRD's `status.conditions` maxItems: a longer list would be rejected by the API server. */
export const MAX_STATUS_CONDITIONS = 16;
/** Room left for backend conditions after the core's three; the backend's first ones (its order) are kept. */
export const MAX_BACKEND_CONDITIONS = MAX_STATUS_CONDITIONS - 3;

export interface DesiredEgressCondition {
  /** Accepted, Ready, Conflicted, or a backend's own type. */
  type: string;
  status: ConditionStatus;
  reason: string;
  message: string;
  observedGeneration: number;
  lastTransitionTime: string;
}

export interface DesiredEgressStatus {
  observedGeneration: number;
  selectedPods: number;
  assignments: { egressIP: string; node?: string }[];
  conditions: DesiredEgressCondition[];
}

type ConditionCore = Omit<DesiredEgressCondition, 'lastTransitionTime' | 'observedGeneration'> & {
  observedGeneration?: number;
};

function conditionsFor(outcome: PolicyOutcome): ConditionCore[] {
  if (!outcome.accepted.status) {
    const { reason, message } = outcome.accepted;
    return [
      { type: 'Accepted', status: 'False', reason, message },
      { type: 'Ready', status: 'False', reason: 'NotAccepted', message: `not programmed: ${reason}` },
      { type: 'Conflicted', status: 'False', reason: 'NoConflict', message: '' },
    ];
  }
  const unassigned = outcome.assignments.filter((a) => a.node === null).map((a) => a.egressIP);
  const ready: ConditionCore =
    unassigned.length > 0
      ? {
          type: 'Ready',
          status: 'False',
          reason: 'NoGatewayAvailable',
          message: `no live gateway node for ${unassigned.join(', ')}`,
        }
      : outcome.selectedPods === 0
        ? {
            type: 'Ready',
            status: 'False',
            reason: 'NoPodsSelected',
            message: 'the selectors match no running pod',
          }
        : {
            type: 'Ready',
            status: 'True',
            reason: 'Programmed',
            message: `${outcome.selectedPods} pod(s) leave through ${outcome.assignments.length} egress IP(s)`,
          };
  const conflicted: ConditionCore =
    outcome.shadowedBy.length > 0
      ? {
          type: 'Conflicted',
          status: 'True',
          reason: 'ShadowedByPolicy',
          message: outcome.shadowedBy
            .map((s) => `${s.policy} wins for ${s.pods} pod(s) to ${s.destinations.join(', ')}`)
            .join('; '),
        }
      : { type: 'Conflicted', status: 'False', reason: 'NoConflict', message: '' };
  return [{ type: 'Accepted', status: 'True', reason: 'Accepted', message: '' }, ready, conflicted];
}

function existingConditions(status: Record<string, unknown>): Map<string, Partial<DesiredEgressCondition>> {
  const result = new Map<string, Partial<DesiredEgressCondition>>();
  const conditions = Array.isArray(status.conditions) ? status.conditions : [];
  for (const condition of conditions as Partial<DesiredEgressCondition>[])
    if (typeof condition?.type === 'string') result.set(condition.type, condition);
  return result;
}

/**
 * The desired status; transition times are kept from `current` where a condition's status is unchanged.
 * `backendConditions` are appended after the core's (a core type among them is ignored: the core owns it;
 * beyond MAX_BACKEND_CONDITIONS the rest are left out);
 * `undefined` means the backend has not judged this Egress yet, so its conditions in `current` are kept
 * exactly as they are rather than dropped and re-added a moment later.
 */
export function desiredEgressStatus(
  outcome: PolicyOutcome,
  current: Record<string, unknown>,
  now: string,
  backendConditions: readonly EgressCondition[] | undefined,
): DesiredEgressStatus {
  const existing = existingConditions(current);
  const withTransition = (condition: ConditionCore): DesiredEgressCondition => {
    const before = existing.get(condition.type);
    const kept = before?.status === condition.status && typeof before.lastTransitionTime === 'string';
    return {
      type: condition.type,
      status: condition.status,
      reason: condition.reason,
      message: condition.message,
      observedGeneration: condition.observedGeneration ?? outcome.generation,
      lastTransitionTime: kept ? (before.lastTransitionTime as string) : now,
    };
  };
  return {
    observedGeneration: outcome.generation,
    selectedPods: outcome.selectedPods,
    assignments: outcome.assignments.map((a) =>
      a.node === null ? { egressIP: a.egressIP } : { ...a, node: a.node },
    ),
    conditions: [
      ...conditionsFor(outcome).map(withTransition),
      ...(backendConditions === undefined
        ? keptBackendConditions(existing)
        : backendConditions
            .filter((c, i, all) => !isCoreType(c.type) && all.findIndex((o) => o.type === c.type) === i)
            .slice(0, MAX_BACKEND_CONDITIONS)
            .map((c) => withTransition(backendCondition(c)))),
    ],
  };
}

function isCoreType(type: unknown): boolean {
  return typeof type === 'string' && CORE_CONDITION_TYPES.includes(type);
}

function backendCondition(c: EgressCondition): ConditionCore {
  return {
    type: c.type,
    status: c.status,
    reason: c.reason,
    message: c.message,
    ...(c.observedGeneration === undefined ? {} : { observedGeneration: c.observedGeneration }),
  };
}

/** The non-core conditions `current` holds, unchanged (only well-formed ones survive). */
function keptBackendConditions(
  existing: Map<string, Partial<DesiredEgressCondition>>,
): DesiredEgressCondition[] {
  const kept: DesiredEgressCondition[] = [];
  for (const [type, c] of existing) {
    if (isCoreType(type)) continue;
    const wellFormed =
      (c.status === 'True' || c.status === 'False' || c.status === 'Unknown') &&
      typeof c.lastTransitionTime === 'string';
    if (!wellFormed) continue;
    kept.push({
      type,
      status: c.status as ConditionStatus,
      reason: typeof c.reason === 'string' ? c.reason : '',
      message: typeof c.message === 'string' ? c.message : '',
      observedGeneration: typeof c.observedGeneration === 'number' ? c.observedGeneration : 0,
      lastTransitionTime: c.lastTransitionTime as string,
    });
  }
  return kept.slice(0, MAX_BACKEND_CONDITIONS);
}

/** Whether `current` already says what `desired` says (key order and transition times aside). */
export function statusMatches(desired: DesiredEgressStatus, current: Record<string, unknown>): boolean {
  return canonical(desired) === canonical(current);
}

function canonical(status: unknown): string {
  const s = (status ?? {}) as Partial<DesiredEgressStatus>;
  return JSON.stringify({
    observedGeneration: s.observedGeneration ?? null,
    selectedPods: s.selectedPods ?? null,
    assignments: (s.assignments ?? []).map((a) => [a.egressIP, a.node ?? null]),
    conditions: (s.conditions ?? [])
      .map((c) => [
        c.type,
        c.status,
        c.reason,
        c.message ?? '',
        c.observedGeneration ?? null,
        c.lastTransitionTime,
      ])
      .sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
  });
}
