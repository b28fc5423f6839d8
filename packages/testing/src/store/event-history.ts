import type { StoreEvent } from './store-event.js';

/** A bounded window of recent events: watches resume from it, or get 410 when it has moved on. */
export class EventHistory {
  private readonly events: StoreEvent[] = [];
  /** Highest resourceVersion no longer replayable; a watch from below it is too old. */
  private evictedThrough = 0;

  constructor(private readonly capacity: number) {
    if (capacity < 1) throw new Error(`history size must be at least 1, got ${capacity}`);
  }

  append(event: StoreEvent): void {
    this.events.push(event);
    while (this.events.length > this.capacity) {
      const dropped = this.events.shift();
      if (dropped) this.evictedThrough = dropped.resourceVersion;
    }
  }

  /** Events after `resourceVersion`, or `undefined` when some of them were already evicted. */
  since(resourceVersion: number): StoreEvent[] | undefined {
    if (resourceVersion < this.evictedThrough) return undefined;
    return this.events.filter((e) => e.resourceVersion > resourceVersion);
  }

  /** The oldest resourceVersion a watch may still start from (reported in 410 messages). */
  oldestAvailable(): number {
    return this.evictedThrough;
  }

  /** Forgets everything so far: the next watch from any older version gets 410. */
  expireAll(currentResourceVersion: number): void {
    this.events.length = 0;
    this.evictedThrough = currentResourceVersion;
  }
}
