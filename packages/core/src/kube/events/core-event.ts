// The core/v1 Event the agent writes (the API `kubectl describe` reads), and what goes into one. Events about
// a cluster-scoped object live in the `default` namespace, as kubelet's about Nodes do: core/v1 validation
// accepts only "" or "default" for an event whose involvedObject has no namespace.
export type EventType = 'Normal' | 'Warning';

/** The object an event is about (core/v1 ObjectReference; cluster-scoped, so no namespace). */
export interface InvolvedObject {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  resourceVersion: string;
}

/** Something that happened to an object, before correlation decides how (and whether) it is written. */
export interface EventOccurrence {
  involvedObject: InvolvedObject;
  type: EventType;
  /** UpperCamelCase, short and stable: what kubectl's REASON column shows. */
  reason: string;
  message: string;
}

/** Who reports: one agent process, the same for every event it writes. */
export interface EventSource {
  /** `source.component` (what kubectl describe prints as "From"). */
  component: string;
  /** `reportingComponent`: the controller, as a qualified name. */
  reportingComponent: string;
  /** `reportingInstance`: this agent (its leader identity). */
  reportingInstance: string;
}

export interface CoreV1Event {
  apiVersion: 'v1';
  kind: 'Event';
  metadata: { name: string; namespace: string };
  involvedObject: InvolvedObject;
  type: EventType;
  reason: string;
  message: string;
  source: { component: string };
  reportingComponent: string;
  reportingInstance: string;
  firstTimestamp: string;
  lastTimestamp: string;
  count: number;
}

/** Where events about cluster-scoped objects go. */
export const CLUSTER_SCOPED_EVENT_NAMESPACE = 'default';

/** The API server refuses longer notes on events.k8s.io/v1; the same bound keeps core/v1 events readable. */
export const MAX_EVENT_MESSAGE_LENGTH = 1024;
