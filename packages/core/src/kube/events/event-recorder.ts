// Writes events in the background: `record` correlates at once (spam filter, aggregation, dedup) and queues
// the write, so a status write or a sync never waits for, or fails because of, an event. One write at a time,
// in order (a patch must follow the create of its event). A failed write is logged and counted, retried a
// couple of times only when the API may answer later (no answer, 429, 5xx), then dropped: an event is a hint
// for people, never worth holding anything up. A 403 (RBAC without events) is logged once as an error.
import type { Logger } from 'pino';
import { sleepOn, type Clock } from '../../runner/clock.js';
import { KubeApiError, type KubeClient } from '../kube-client.js';
import type { CoreV1Event, EventOccurrence } from './core-event.js';
import type { EventCorrelator, EventWrite } from './event-correlator.js';

export type EventDropReason = 'rate_limited' | 'queue_full';

export interface EventRecorderObserver {
  eventWritten?(ok: boolean): void;
  eventDropped?(reason: EventDropReason): void;
}

export interface EventRecorderOptions {
  /** Writes waiting beyond this are dropped (client-go keeps 1,000). */
  maxQueued: number;
  /** Tries per write when the API may answer later. */
  maxAttempts: number;
  retryDelayMs: number;
  requestTimeoutMs: number;
}

export const DEFAULT_EVENT_RECORDER_OPTIONS: EventRecorderOptions = {
  maxQueued: 1_000,
  maxAttempts: 3,
  retryDelayMs: 1_000,
  requestTimeoutMs: 10_000,
};

type QueuedWrite = Exclude<EventWrite, { kind: 'rateLimited' }>;

export class EventRecorder {
  private readonly queue: QueuedWrite[] = [];
  private draining: Promise<void> | undefined;
  private readonly stopping = new AbortController();
  private forbiddenReported = false;

  constructor(
    private readonly client: Pick<KubeClient, 'request'>,
    private readonly correlator: EventCorrelator,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly observer: EventRecorderObserver = {},
    private readonly options: EventRecorderOptions = DEFAULT_EVENT_RECORDER_OPTIONS,
  ) {}

  /** Queues an event; returns at once and never throws. */
  record(occurrence: EventOccurrence): void {
    if (this.stopping.signal.aborted) return;
    const write = this.correlator.correlate(occurrence);
    if (write.kind === 'rateLimited') return this.dropped('rate_limited', occurrence);
    if (this.queue.length >= this.options.maxQueued) {
      this.correlator.writeFailed(write.key);
      return this.dropped('queue_full', occurrence);
    }
    this.queue.push(write);
    this.draining ??= this.drain().finally(() => (this.draining = undefined));
  }

  /** Resolves when every queued write has been tried (tests; a planned stop does not wait for events). */
  async idle(): Promise<void> {
    while (this.draining) await this.draining;
  }

  /** Drops what is queued and waits for the write in flight (cut short by its own abort). */
  async stop(): Promise<void> {
    this.stopping.abort();
    this.queue.length = 0;
    await this.draining;
  }

  private async drain(): Promise<void> {
    for (let write = this.queue.shift(); write; write = this.queue.shift()) {
      const ok = await this.writeWithRetries(write);
      if (this.stopping.signal.aborted) return;
      if (!ok) this.correlator.writeFailed(write.key);
      this.observer.eventWritten?.(ok);
    }
  }

  private async writeWithRetries(write: QueuedWrite): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.send(write);
        return true;
      } catch (error) {
        if (this.stopping.signal.aborted) return false;
        const retry = mayAnswerLater(error) && attempt < this.options.maxAttempts;
        this.logFailure(write.event, error, retry);
        if (!retry) return false;
        await sleepOn(this.clock, this.options.retryDelayMs * attempt, this.stopping.signal);
      }
    }
  }

  private async send(write: QueuedWrite): Promise<void> {
    const { event } = write;
    const path = `/api/v1/namespaces/${event.metadata.namespace}/events`;
    if (write.kind === 'patch') {
      try {
        await this.request('PATCH', `${path}/${encodeURIComponent(event.metadata.name)}`, {
          count: event.count,
          lastTimestamp: event.lastTimestamp,
          message: event.message,
        });
        return;
      } catch (error) {
        // Gone (the API server's event TTL is an hour by default): write the series afresh.
        if (!(error instanceof KubeApiError && error.statusCode === 404)) throw error;
      }
    }
    try {
      await this.request('POST', path, event);
    } catch (error) {
      // Already there: a retry of a create that went through, as client-go treats it.
      if (!(error instanceof KubeApiError && error.statusCode === 409)) throw error;
    }
  }

  private async request(method: 'POST' | 'PATCH', path: string, body: unknown): Promise<void> {
    await this.client.request({
      method,
      path,
      body,
      ...(method === 'PATCH' ? { contentType: 'application/merge-patch+json' } : {}),
      timeoutMs: this.options.requestTimeoutMs,
      signal: this.stopping.signal,
    });
  }

  private logFailure(event: CoreV1Event, error: unknown, willRetry: boolean): void {
    const fields = { err: error, egress: event.involvedObject.name, reason: event.reason, willRetry };
    if (error instanceof KubeApiError && error.statusCode === 403) {
      if (this.forbiddenReported) return this.logger.debug(fields, 'event write forbidden');
      this.forbiddenReported = true;
      return this.logger.error(
        fields,
        `events cannot be written: the API server refused (403 Forbidden). Grant this agent's ServiceAccount create and patch on events in namespace ${event.metadata.namespace} (deploy/rbac/events-role.yaml). Status and the datapath are not affected; further refusals are logged at debug level`,
      );
    }
    this.logger.warn(fields, willRetry ? 'event write failed; will retry' : 'event write failed; dropped');
  }

  private dropped(reason: EventDropReason, occurrence: EventOccurrence): void {
    this.observer.eventDropped?.(reason);
    this.logger.debug(
      { egress: occurrence.involvedObject.name, reason: occurrence.reason, dropped: reason },
      'event dropped',
    );
  }
}

/** No answer, or an answer that says "later": worth another try. Any other refusal will not change. */
function mayAnswerLater(error: unknown): boolean {
  if (!(error instanceof KubeApiError)) return true;
  return error.statusCode === 429 || error.statusCode >= 500;
}
