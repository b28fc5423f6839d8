// What an Egress's events are about, read from a status: the status the leader computes now from the
// policy's outcome, or the one already on the object. Reading both the same way is what lets a new leader
// take over quietly: the status its predecessor wrote is the "before" of its first comparison, so only
// what changes from there makes an event.
import type { DesiredEgressStatus } from '../egress-status.js';
import { CORE_CONDITION_TYPES } from '../egress-status.js';

export type AcceptanceView = { accepted: true } | { accepted: false; reason: string; message: string };

export interface ConditionView {
  status: string;
  reason: string;
  message: string;
}

export interface EgressEventView {
  /** Undefined while the status says nothing yet (an Egress no leader has written). */
  acceptance: AcceptanceView | undefined;
  /** Egress IP → its gateway node, null when it has none; in spec order. */
  gateways: ReadonlyMap<string, string | null>;
  /** The Conflicted condition while it is True. */
  conflict: { reason: string; message: string } | undefined;
  /** The backend's own conditions, by type. */
  backendConditions: ReadonlyMap<string, ConditionView>;
}

type Json = Record<string, unknown>;

export function eventViewOf(status: DesiredEgressStatus | Json): EgressEventView {
  const conditions = new Map<string, ConditionView>();
  for (const raw of listOf((status as Json).conditions)) {
    const type = textOf(raw.type);
    if (type === '' || conditions.has(type)) continue;
    conditions.set(type, {
      status: textOf(raw.status),
      reason: textOf(raw.reason),
      message: textOf(raw.message),
    });
  }
  const gateways = new Map<string, string | null>();
  for (const raw of listOf((status as Json).assignments)) {
    const ip = textOf(raw.egressIP);
    if (ip !== '') gateways.set(ip, textOf(raw.node) || null);
  }
  const conflicted = conditions.get('Conflicted');
  return {
    acceptance: acceptanceOf(conditions.get('Accepted')),
    gateways,
    conflict:
      conflicted?.status === 'True' ? { reason: conflicted.reason, message: conflicted.message } : undefined,
    backendConditions: new Map([...conditions].filter(([type]) => !CORE_CONDITION_TYPES.includes(type))),
  };
}

function acceptanceOf(condition: ConditionView | undefined): AcceptanceView | undefined {
  if (condition?.status === 'True') return { accepted: true };
  if (condition?.status === 'False')
    return { accepted: false, reason: condition.reason, message: condition.message };
  return undefined;
}

function listOf(value: unknown): Json[] {
  return Array.isArray(value)
    ? value.filter((item): item is Json => typeof item === 'object' && item !== null)
    : [];
}

function textOf(value: unknown): string {
  return typeof value === 'string' ? value : '';
}
