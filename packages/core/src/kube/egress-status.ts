// The status an Egress should have, from the core's per-policy outcome (docs/api-reference.md, "Status").
// Pure: compared with what the object already has so that an unchanged status is never written, and
// `lastTransitionTime` moves only when a condition's status flips.
import type { PolicyOutcome } from '../model/policy-outcome.js';

export interface DesiredEgressCondition {
  type: 'Accepted' | 'Ready' | 'Conflicted';
  status: 'True' | 'False';
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

type ConditionCore = Omit<DesiredEgressCondition, 'lastTransitionTime' | 'observedGeneration'>;

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

/** The desired status; transition times are kept from `current` where a condition's status is unchanged. */
export function desiredEgressStatus(
  outcome: PolicyOutcome,
  current: Record<string, unknown>,
  now: string,
): DesiredEgressStatus {
  const existing = existingConditions(current);
  return {
    observedGeneration: outcome.generation,
    selectedPods: outcome.selectedPods,
    assignments: outcome.assignments.map((a) =>
      a.node === null ? { egressIP: a.egressIP } : { ...a, node: a.node },
    ),
    conditions: conditionsFor(outcome).map((condition) => {
      const before = existing.get(condition.type);
      const kept = before?.status === condition.status && typeof before.lastTransitionTime === 'string';
      return {
        ...condition,
        observedGeneration: outcome.generation,
        lastTransitionTime: kept ? (before.lastTransitionTime as string) : now,
      };
    }),
  };
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
