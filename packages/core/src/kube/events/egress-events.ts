// The events one Egress gets when its view moves from `previous` to `next` (docs/operating.md, "Events"):
// acceptance, conflicts, gateways, backend conditions. Pure: why a gateway moved is asked of `facts`, the
// model's judgement at the moment of the change. A refused Egress gets its refusal and nothing else: what
// it loses with it (gateways, conditions) follows from the refusal.
import type { GatewayIneligibility } from '../../gateway/gateway-assigner.js';
import type { EventType } from './core-event.js';
import type { AcceptanceView, EgressEventView } from './egress-event-view.js';

export interface EgressEvent {
  type: EventType;
  reason: string;
  message: string;
}

export interface GatewayFacts {
  /** Why `node` cannot hold `egressIP` now; null when it can; undefined when nobody uses the IP. */
  ineligibility(egressIP: string, node: string): GatewayIneligibility | null | undefined;
}

export interface EgressEventOptions {
  /** False for cluster-scope backends: no node is ever a gateway there, so gateways make no events. */
  gatewayEvents: boolean;
}

export const EGRESS_EVENT_REASONS = {
  accepted: 'Accepted',
  gatewayAssigned: 'GatewayAssigned',
  gatewayMoved: 'GatewayMoved',
  noGateway: 'NoGatewayAvailable',
  conflictResolved: 'ConflictResolved',
  backendConditionCleared: 'BackendConditionCleared',
} as const;

export function egressEvents(
  previous: EgressEventView,
  next: EgressEventView,
  facts: GatewayFacts,
  options: EgressEventOptions,
): EgressEvent[] {
  const acceptance = acceptanceEvent(previous.acceptance, next.acceptance);
  if (next.acceptance?.accepted !== true) return acceptance ? [acceptance] : [];
  return [
    ...(acceptance ? [acceptance] : []),
    ...conflictEvents(previous, next),
    ...(options.gatewayEvents ? gatewayEvents(previous, next, facts) : []),
    ...backendConditionEvents(previous, next),
  ];
}

function acceptanceEvent(
  previous: AcceptanceView | undefined,
  next: AcceptanceView | undefined,
): EgressEvent | undefined {
  if (next === undefined) return undefined;
  if (next.accepted) {
    if (previous?.accepted === true) return undefined;
    const was = previous === undefined ? '' : ` (it was refused: ${previous.reason})`;
    return { type: 'Normal', reason: EGRESS_EVENT_REASONS.accepted, message: `Egress accepted${was}` };
  }
  const same =
    previous?.accepted === false && previous.reason === next.reason && previous.message === next.message;
  return same ? undefined : { type: 'Warning', reason: next.reason, message: `refused: ${next.message}` };
}

function conflictEvents(previous: EgressEventView, next: EgressEventView): EgressEvent[] {
  if (next.conflict && next.conflict.reason !== previous.conflict?.reason)
    return [{ type: 'Warning', reason: next.conflict.reason, message: `shadowed: ${next.conflict.message}` }];
  if (!next.conflict && previous.conflict)
    return [
      {
        type: 'Normal',
        reason: EGRESS_EVENT_REASONS.conflictResolved,
        message: 'no other policy takes any of its pods any more',
      },
    ];
  return [];
}

function gatewayEvents(previous: EgressEventView, next: EgressEventView, facts: GatewayFacts): EgressEvent[] {
  const events: EgressEvent[] = [];
  for (const [ip, node] of next.gateways) {
    // undefined: not known before (a new Egress or a new IP); null: known to have no gateway.
    const before = previous.gateways.get(ip);
    if (node === before) continue;
    if (node !== null) {
      if (before === undefined || before === null) {
        const was = before === null ? ' (it had no live gateway)' : '';
        events.push({
          type: 'Normal',
          reason: EGRESS_EVENT_REASONS.gatewayAssigned,
          message: `egress IP ${ip} assigned to node ${node}${was}`,
        });
      } else {
        events.push({
          type: 'Normal',
          reason: EGRESS_EVENT_REASONS.gatewayMoved,
          message: `egress IP ${ip} moved from node ${before} to node ${node}: ${moveCause(facts, ip, before, node)}`,
        });
      }
    } else if (before !== null) {
      const lost = before === undefined ? '' : `lost node ${before} (${leaveCause(facts, ip, before)}) and `;
      events.push({
        type: 'Warning',
        reason: EGRESS_EVENT_REASONS.noGateway,
        message: `egress IP ${ip} ${lost}has no eligible gateway node (Ready, matching the gatewayNodeSelector, with a live heartbeat)`,
      });
    }
  }
  return events;
}

function moveCause(facts: GatewayFacts, ip: string, from: string, to: string): string {
  const cause = facts.ineligibility(ip, from);
  return cause === null || cause === undefined
    ? // An eligible node that hosts an IP keeps it (GatewayAssigner): this one had not started to.
      `node ${to} ranks above node ${from} in rendezvous order for the IP, which node ${from} was not hosting yet`
    : INELIGIBILITY_PHRASES[cause](from);
}

function leaveCause(facts: GatewayFacts, ip: string, from: string): string {
  const cause = facts.ineligibility(ip, from);
  return cause === null || cause === undefined
    ? `node ${from} is no longer eligible`
    : INELIGIBILITY_PHRASES[cause](from);
}

const INELIGIBILITY_PHRASES: Readonly<Record<GatewayIneligibility, (node: string) => string>> = {
  nodeGone: (node) => `node ${node} was deleted`,
  notReady: (node) => `node ${node} is not Ready`,
  selectorMismatch: (node) => `node ${node} no longer matches the gatewayNodeSelector`,
  heartbeatExpired: (node) => `the heartbeat lease of node ${node} expired`,
  noAddressOfFamily: (node) => `node ${node} has no InternalIP of the egress IP's family`,
};

function backendConditionEvents(previous: EgressEventView, next: EgressEventView): EgressEvent[] {
  const events: EgressEvent[] = [];
  for (const [type, condition] of next.backendConditions) {
    const before = previous.backendConditions.get(type);
    // Counts in messages change with every pod: only a new status or reason is news.
    if (before && before.status === condition.status && before.reason === condition.reason) continue;
    const detail = condition.reason === '' || condition.reason === type ? '' : `${condition.reason}: `;
    events.push({
      type: condition.status === 'False' ? 'Normal' : 'Warning',
      reason: type,
      message: `${detail}${condition.message}`,
    });
  }
  for (const type of previous.backendConditions.keys()) {
    if (next.backendConditions.has(type)) continue;
    events.push({
      type: 'Normal',
      reason: EGRESS_EVENT_REASONS.backendConditionCleared,
      message: `the backend no longer reports ${type}`,
    });
  }
  return events;
}
