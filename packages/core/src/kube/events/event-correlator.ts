// Decides how an event occurrence is written, as client-go's EventCorrelator does (tools/record/
// events_cache.go), with the same defaults:
// - spam filter: a token bucket per involved object (burst 25, one more every 5 minutes); an occurrence
//   over the rate is dropped before anything else, so it leaves no count behind;
// - aggregation: occurrences that differ only in their message (same object, type, reason) are similar; once
//   more than 10 distinct messages were seen within 10 minutes of each other, the rest go into one event
//   "(combined from similar events): <latest message>";
// - deduplication: an occurrence identical to one written less than 10 minutes before updates that event
//   (count + 1, lastTimestamp now: a PATCH) instead of creating another.
// Every cache is an LRU of 4,096 keys. Pure apart from the clock: the recorder does the writing.
import type { Clock } from '../../runner/clock.js';
import { metav1Time } from '../kube-time.js';
import {
  CLUSTER_SCOPED_EVENT_NAMESPACE,
  MAX_EVENT_MESSAGE_LENGTH,
  type CoreV1Event,
  type EventOccurrence,
  type EventSource,
  type InvolvedObject,
} from './core-event.js';
import { LruMap } from './lru-map.js';
import { TokenBucket, type TokenBucketRate } from './token-bucket.js';

export interface EventCorrelatorOptions {
  cacheSize: number;
  /** Distinct messages of similar events written on their own before the rest are combined. */
  maxSimilarMessages: number;
  /** How long similar events count as one series, and how long an identical one patches the last. */
  windowMs: number;
  spam: TokenBucketRate;
}

/** client-go's defaults (events_cache.go). */
export const DEFAULT_EVENT_CORRELATOR_OPTIONS: EventCorrelatorOptions = {
  cacheSize: 4_096,
  maxSimilarMessages: 10,
  windowMs: 10 * 60_000,
  spam: { burst: 25, refillMs: 5 * 60_000 },
};

export const COMBINED_MESSAGE_PREFIX = '(combined from similar events): ';

/**
 * What to send: `create` POSTs `event`; `patch` updates the existing event named in it (count,
 * lastTimestamp, message) and, if that one is gone, creates `event` whole. `key` identifies the series
 * for `writeFailed`.
 */
export type EventWrite =
  | { kind: 'create'; key: string; event: CoreV1Event }
  | { kind: 'patch'; key: string; event: CoreV1Event }
  | { kind: 'rateLimited' };

interface SimilarSeries {
  /** Distinct messages seen, oldest first (at most maxSimilarMessages + 1 kept). */
  messages: Set<string>;
  lastSeenAt: number;
}

interface WrittenSeries {
  name: string;
  count: number;
  firstTimestamp: string;
  lastSeenAt: number;
}

export class EventCorrelator {
  private readonly similar: LruMap<string, SimilarSeries>;
  private readonly written: LruMap<string, WrittenSeries>;
  private readonly buckets: LruMap<string, TokenBucket>;
  private lastNameNanos = 0n;

  constructor(
    private readonly source: EventSource,
    private readonly clock: Clock,
    private readonly options: EventCorrelatorOptions = DEFAULT_EVENT_CORRELATOR_OPTIONS,
  ) {
    this.similar = new LruMap(options.cacheSize);
    this.written = new LruMap(options.cacheSize);
    this.buckets = new LruMap(options.cacheSize);
  }

  correlate(occurrence: EventOccurrence): EventWrite {
    const objectKey = keyOf(objectIdentity(occurrence.involvedObject));
    if (!this.bucketFor(objectKey).tryTake()) return { kind: 'rateLimited' };
    const message = occurrence.message.slice(0, MAX_EVENT_MESSAGE_LENGTH);
    const similarKey = keyOf([objectKey, occurrence.type, occurrence.reason]);
    const combined = this.observeSimilar(similarKey, message);
    // A combined event is one series for all similar messages: it is keyed without the message.
    const key = combined ? similarKey : keyOf([similarKey, message]);
    const text = combined ? (COMBINED_MESSAGE_PREFIX + message).slice(0, MAX_EVENT_MESSAGE_LENGTH) : message;
    return this.observeIdentical(key, { ...occurrence, message: text });
  }

  /** The write of `key`'s series failed: the next occurrence creates a new event instead of patching. */
  writeFailed(key: string): void {
    this.written.delete(key);
  }

  /** Whether this message joins the combined event of its similar series. */
  private observeSimilar(key: string, message: string): boolean {
    const now = this.clock.monotonic();
    let series = this.similar.get(key);
    if (!series || now - series.lastSeenAt > this.options.windowMs)
      series = { messages: new Set(), lastSeenAt: now };
    series.messages.delete(message);
    series.messages.add(message);
    series.lastSeenAt = now;
    const limit = this.options.maxSimilarMessages;
    // Past the limit only the count matters; keep the set from growing with every new message.
    if (series.messages.size > limit + 1)
      series.messages.delete(series.messages.values().next().value as string);
    this.similar.set(key, series);
    return series.messages.size > limit;
  }

  private observeIdentical(key: string, occurrence: EventOccurrence): EventWrite {
    const nowMs = this.clock.now();
    const now = this.clock.monotonic();
    const timestamp = metav1Time(nowMs);
    const previous = this.written.get(key);
    const repeat = previous !== undefined && now - previous.lastSeenAt <= this.options.windowMs;
    const series: WrittenSeries = repeat
      ? { ...previous, count: previous.count + 1, lastSeenAt: now }
      : {
          name: this.newName(occurrence.involvedObject.name, nowMs),
          count: 1,
          firstTimestamp: timestamp,
          lastSeenAt: now,
        };
    this.written.set(key, series);
    const event: CoreV1Event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: series.name, namespace: CLUSTER_SCOPED_EVENT_NAMESPACE },
      involvedObject: occurrence.involvedObject,
      type: occurrence.type,
      reason: occurrence.reason,
      message: occurrence.message,
      source: { component: this.source.component },
      reportingComponent: this.source.reportingComponent,
      reportingInstance: this.source.reportingInstance,
      firstTimestamp: series.firstTimestamp,
      lastTimestamp: timestamp,
      count: series.count,
    };
    return { kind: repeat ? 'patch' : 'create', key, event };
  }

  private bucketFor(objectKey: string): TokenBucket {
    let bucket = this.buckets.get(objectKey);
    if (!bucket) this.buckets.set(objectKey, (bucket = new TokenBucket(this.options.spam, this.clock)));
    return bucket;
  }

  /**
   * `<object>.<hex nanoseconds>`, as client-go names events; strictly increasing, so two events in one
   * millisecond never collide. The object part is shortened to keep the name a valid DNS subdomain.
   */
  private newName(object: string, nowMs: number): string {
    const nanos = BigInt(Math.trunc(nowMs)) * 1_000_000n;
    this.lastNameNanos = nanos > this.lastNameNanos ? nanos : this.lastNameNanos + 1n;
    const suffix = this.lastNameNanos.toString(16);
    return `${object.slice(0, 253 - 1 - suffix.length)}.${suffix}`;
  }
}

function objectIdentity(object: InvolvedObject): string[] {
  return [object.apiVersion, object.kind, object.name, object.uid];
}

/** Joins parts unambiguously (no part can contain a NUL). */
function keyOf(parts: readonly string[]): string {
  return parts.join('\u0000');
}
