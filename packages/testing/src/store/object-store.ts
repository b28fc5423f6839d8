import { deepCopy, namespacedName, type StoredObject } from '../api/kube-object.js';
import { EventHistory } from './event-history.js';
import type { StoreEvent, StoreEventType } from './store-event.js';

export type StoreListener = (event: StoreEvent) => void;

/**
 * Raw storage: objects per group/resource, one cluster-wide resourceVersion counter (like etcd's
 * revision), the event history and change listeners. No API semantics live here.
 */
export class ObjectStore {
  private revision = 1;
  private readonly buckets = new Map<string, Map<string, StoredObject>>();
  private readonly listeners = new Set<StoreListener>();
  readonly history: EventHistory;

  constructor(historySize: number) {
    this.history = new EventHistory(historySize);
  }

  currentResourceVersion(): number {
    return this.revision;
  }

  get(storageKey: string, namespace: string | undefined, name: string): StoredObject | undefined {
    const found = this.buckets.get(storageKey)?.get(namespacedName(namespace, name));
    return found ? deepCopy(found) : undefined;
  }

  /** Objects of one resource, optionally one namespace, sorted like etcd keys (namespace, name). */
  list(storageKey: string, namespace?: string): StoredObject[] {
    const bucket = this.buckets.get(storageKey);
    if (!bucket) return [];
    return [...bucket.entries()]
      .filter(([, o]) => namespace === undefined || o.metadata.namespace === namespace)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, o]) => deepCopy(o));
  }

  /** Writes an object under the next resourceVersion and notifies watchers. Returns the stored copy. */
  write(storageKey: string, object: StoredObject, type: Exclude<StoreEventType, 'DELETED'>): StoredObject {
    const key = namespacedName(object.metadata.namespace, object.metadata.name);
    let bucket = this.buckets.get(storageKey);
    if (!bucket) {
      bucket = new Map();
      this.buckets.set(storageKey, bucket);
    }
    const previous = bucket.get(key);
    const stored = deepCopy(object);
    stored.metadata.resourceVersion = String(++this.revision);
    bucket.set(key, stored);
    this.emit({
      type,
      resourceVersion: this.revision,
      storageKey,
      object: stored,
      ...(previous ? { previous } : {}),
    });
    return deepCopy(stored);
  }

  /**
   * Removes an object; the DELETED event carries a fresh resourceVersion, as etcd's delete revision, and
   * `finalState` when the deletion happens inside an update (last finalizer removed).
   */
  remove(
    storageKey: string,
    namespace: string | undefined,
    name: string,
    finalState?: StoredObject,
  ): StoredObject | undefined {
    const bucket = this.buckets.get(storageKey);
    const previous = bucket?.get(namespacedName(namespace, name));
    if (!bucket || !previous) return undefined;
    bucket.delete(namespacedName(namespace, name));
    const gone = deepCopy(finalState ?? previous);
    gone.metadata.resourceVersion = String(++this.revision);
    this.emit({ type: 'DELETED', resourceVersion: this.revision, storageKey, object: gone, previous });
    return deepCopy(gone);
  }

  subscribe(listener: StoreListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(event: StoreEvent): void {
    this.history.append(event);
    for (const listener of [...this.listeners]) listener(event);
  }
}
