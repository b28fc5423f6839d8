// Turns the leader's status rounds into events: for each Egress it remembers the view of the status it last
// computed, compares the new one with it, and records the difference. What it has not seen in this
// leadership is compared with the status already on the object, so a new leader does not announce the
// steady state again, and an Egress created since gets its first events.
import { EGRESS_API_VERSION, EGRESS_KIND } from '../../api/egress-types.js';
import type { DesiredEgressStatus } from '../egress-status.js';
import type { SlimEgress } from '../slim-convert.js';
import type { EventOccurrence, EventSource, InvolvedObject } from './core-event.js';
import { eventViewOf, type EgressEventView } from './egress-event-view.js';
import { egressEvents, type EgressEventOptions, type GatewayFacts } from './egress-events.js';

/** How the agent signs its events; `identity` is its leader identity (node name, or host and suffix). */
export function agentEventSource(identity: string): EventSource {
  return {
    component: 'egress-proxier',
    reportingComponent: 'egress-proxier.io/agent',
    reportingInstance: identity,
  };
}

export interface EventSink {
  record(occurrence: EventOccurrence): void;
}

interface SeenEgress {
  uid: string;
  view: EgressEventView;
}

export class EgressEventEmitter {
  private readonly seen = new Map<string, SeenEgress>();

  constructor(
    private readonly sink: EventSink,
    private readonly facts: GatewayFacts,
    private readonly options: EgressEventOptions,
  ) {}

  /** The status the leader computed for `egress` in this round, written or not. */
  observe(egress: SlimEgress, desired: DesiredEgressStatus): void {
    const { name, uid } = egress.metadata;
    const next = eventViewOf(desired);
    const known = this.seen.get(name);
    // A different uid is a new object under an old name: its own status is its "before".
    const previous = known?.uid === uid ? known.view : eventViewOf(egress.status);
    this.seen.set(name, { uid, view: next });
    const involvedObject = involvedObjectOf(egress);
    for (const event of egressEvents(previous, next, this.facts, this.options))
      this.sink.record({ involvedObject, ...event });
  }

  /** Forgets Egresses that are gone. */
  retainOnly(exists: (name: string) => boolean): void {
    for (const name of this.seen.keys()) if (!exists(name)) this.seen.delete(name);
  }

  /** Leadership lost: the next leadership starts from the status on the objects. */
  reset(): void {
    this.seen.clear();
  }
}

function involvedObjectOf(egress: SlimEgress): InvolvedObject {
  return {
    apiVersion: EGRESS_API_VERSION,
    kind: EGRESS_KIND,
    name: egress.metadata.name,
    uid: egress.metadata.uid,
    resourceVersion: egress.metadata.resourceVersion,
  };
}
