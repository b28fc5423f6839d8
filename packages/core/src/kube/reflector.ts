// List-then-watch for one resource, keeping only slim objects (client-go's Reflector + store, shaped for
// this agent). What it guarantees:
// - `synced` turns true only after the first complete list, so an empty cache is never read as "nothing".
// - A relist is applied as one synchronous diff against the cache: handlers never see half a list.
// - 410 Gone (an expired resourceVersion) relists at once; any other error, a dropped connection or a
//   silent watch (no event and no bookmark for `watchdogMs`: bookmarks are requested) restarts the watch
//   after an exponential backoff, resuming from the last resourceVersion seen.
// - While the API is unreachable, nothing is reported: the cache (and whatever was built from it) stays.
import type { Logger } from 'pino';
import type { Clock, Timer } from '../runner/clock.js';
import { KubeApiError, type KubeClient, type WatchEvent, type WatchHandle } from './kube-client.js';
import { metadataOf } from './slim-convert.js';

/** How an object reached the cache: in a (re)list, or in a watch event (delivered in the server's order). */
export type ReflectorOrigin = 'list' | 'watch';

export interface ReflectorHandlers<T> {
  upsert(key: string, value: T, previous: T | undefined, origin: ReflectorOrigin): void;
  delete(key: string, previous: T): void;
}

export interface ReflectorOptions<T> {
  /** For logs and metrics, e.g. `pods`. */
  resource: string;
  /** Collection path, e.g. `/api/v1/pods`. */
  path: string;
  labelSelector?: string;
  convert(object: unknown): T;
  /** A watch that delivers nothing (no event, no bookmark) for this long is presumed dead. */
  watchdogMs: number;
  backoffInitialMs: number;
  backoffMaxMs: number;
  /** Deadline of a list call (large clusters need long ones). */
  listTimeoutMs: number;
}

export type WatchRestartReason = 'expired' | 'error' | 'stalled' | 'closed';

export interface ReflectorObserver {
  watchRestarted?(resource: string, reason: WatchRestartReason): void;
  listed?(resource: string, items: number): void;
  /** The API server delivered something: a list, a watch event or a bookmark (proof it is reachable). */
  heard?(resource: string): void;
}

interface Entry<T> {
  resourceVersion: string;
  value: T;
}

export class Reflector<T> {
  private readonly cache = new Map<string, Entry<T>>();
  private resourceVersion = '';
  private syncedFlag = false;
  private stopped = true;
  private watch: WatchHandle | undefined;
  private watchdog: Timer | undefined;
  private retryTimer: Timer | undefined;
  private consecutiveFailures = 0;
  private lastActivityMono = 0;
  private lastEventMono = 0;
  private readonly syncedWaiters: (() => void)[] = [];

  constructor(
    private readonly client: KubeClient,
    private readonly options: ReflectorOptions<T>,
    private readonly handlers: ReflectorHandlers<T>,
    private readonly logger: Logger,
    private readonly clock: Clock,
    private readonly observer: ReflectorObserver = {},
  ) {}

  get synced(): boolean {
    return this.syncedFlag;
  }

  /** Monotonic time of the last ADDED/MODIFIED/DELETED event or list. */
  get lastEventAt(): number {
    return this.lastEventMono;
  }

  get size(): number {
    return this.cache.size;
  }

  get(key: string): T | undefined {
    return this.cache.get(key)?.value;
  }

  values(): IterableIterator<T> {
    const entries = this.cache.values();
    return (function* () {
      for (const entry of entries) yield entry.value;
    })();
  }

  /** Resolves after the first complete list. */
  waitForSync(): Promise<void> {
    if (this.syncedFlag) return Promise.resolve();
    return new Promise((resolve) => this.syncedWaiters.push(resolve));
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.lastActivityMono = this.clock.monotonic();
    this.armWatchdog();
    void this.cycle();
  }

  stop(): void {
    this.stopped = true;
    this.watchdog?.cancel();
    this.retryTimer?.cancel();
    this.watch?.close();
    this.watch = undefined;
  }

  /** One list (if needed) and one watch; the watch's end schedules the next cycle. */
  private async cycle(): Promise<void> {
    if (this.stopped) return;
    try {
      if (this.resourceVersion === '') await this.relist();
      if (this.stopped) return;
      await this.startWatch();
    } catch (error) {
      this.failed('error', error);
    }
  }

  private async relist(): Promise<void> {
    const query = this.options.labelSelector
      ? `?labelSelector=${encodeURIComponent(this.options.labelSelector)}`
      : '';
    // Items are converted to slim objects as they stream in, and applied together at the end, so that
    // handlers (and the syncs they trigger) never see half a list.
    const received: { key: string; resourceVersion: string; object: unknown }[] = [];
    const list = await this.client.list(this.options.path + query, this.options.listTimeoutMs, (item) => {
      const meta = metadataOf(item);
      const key = meta.namespace === '' ? meta.name : `${meta.namespace}/${meta.name}`;
      const cached = this.cache.get(key);
      // Unchanged objects are not converted again; changed ones are kept slim until applied.
      const object =
        cached?.resourceVersion === meta.resourceVersion ? undefined : this.options.convert(item);
      received.push({ key, resourceVersion: meta.resourceVersion, object });
    });
    if (this.stopped) return;
    const seen = new Set<string>();
    for (const { key, resourceVersion, object } of received) {
      seen.add(key);
      if (object === undefined) continue;
      const previous = this.cache.get(key);
      const value = object as T;
      this.cache.set(key, { resourceVersion, value });
      this.handlers.upsert(key, value, previous?.value, 'list');
    }
    for (const [key, entry] of this.cache) {
      if (!seen.has(key)) {
        this.cache.delete(key);
        this.handlers.delete(key, entry.value);
      }
    }
    const metadata = (list.metadata ?? {}) as { resourceVersion?: string };
    this.resourceVersion = metadata.resourceVersion ?? '';
    this.lastActivityMono = this.lastEventMono = this.clock.monotonic();
    this.observer.heard?.(this.options.resource);
    this.observer.listed?.(this.options.resource, received.length);
    if (!this.syncedFlag) {
      this.syncedFlag = true;
      for (const resolve of this.syncedWaiters.splice(0)) resolve();
    }
  }

  private apply(object: unknown): void {
    const meta = metadataOf(object);
    const key = meta.namespace === '' ? meta.name : `${meta.namespace}/${meta.name}`;
    const previous = this.cache.get(key);
    if (previous && previous.resourceVersion === meta.resourceVersion) return;
    const value = this.options.convert(object);
    this.cache.set(key, { resourceVersion: meta.resourceVersion, value });
    this.handlers.upsert(key, value, previous?.value, 'watch');
  }

  private remove(object: unknown): void {
    const meta = metadataOf(object);
    const key = meta.namespace === '' ? meta.name : `${meta.namespace}/${meta.name}`;
    const previous = this.cache.get(key);
    if (!previous) return;
    this.cache.delete(key);
    this.handlers.delete(key, previous.value);
  }

  private async startWatch(): Promise<void> {
    // client-go's spread of watch lengths (5–10 min), so that many agents do not reconnect in step.
    const timeoutSeconds = String(300 + Math.floor(Math.random() * 300));
    const query: Record<string, string> = {
      resourceVersion: this.resourceVersion,
      allowWatchBookmarks: 'true',
      timeoutSeconds,
    };
    if (this.options.labelSelector) query.labelSelector = this.options.labelSelector;
    let delivered = false;
    this.lastActivityMono = this.clock.monotonic();
    const handle = await this.client.watch(
      this.options.path,
      query,
      (event) => {
        delivered = true;
        this.onEvent(event);
      },
      (error) => {
        if (this.watch !== handle) return;
        this.watch = undefined;
        if (error)
          this.failed(error instanceof KubeApiError && error.statusCode === 410 ? 'expired' : 'error', error);
        else {
          // A clean end (the server's timeout): resume at once; a watch that ends empty-handed backs off.
          if (delivered) this.consecutiveFailures = 0;
          this.restart('closed', delivered ? 0 : this.backoffMs());
        }
      },
    );
    if (this.stopped) return handle.close();
    this.watch = handle;
  }

  private onEvent(event: WatchEvent): void {
    this.lastActivityMono = this.clock.monotonic();
    this.observer.heard?.(this.options.resource);
    switch (event.type) {
      case 'ADDED':
      case 'MODIFIED':
        this.apply(event.object);
        break;
      case 'DELETED':
        this.remove(event.object);
        break;
      case 'BOOKMARK':
        break;
      case 'ERROR': {
        const code = (event.object as { code?: number }).code;
        this.watch?.close();
        this.watch = undefined;
        if (code === 410) this.failed('expired', new Error('watch: resourceVersion expired (410)'));
        else
          this.failed('error', new Error(`watch: ERROR event ${JSON.stringify(event.object).slice(0, 200)}`));
        return;
      }
    }
    if (event.type !== 'BOOKMARK') this.lastEventMono = this.lastActivityMono;
    const rv = metadataOf(event.object).resourceVersion;
    if (rv !== '') this.resourceVersion = rv;
    this.consecutiveFailures = 0;
  }

  private armWatchdog(): void {
    const period = Math.max(50, Math.floor(this.options.watchdogMs / 4));
    this.watchdog = this.clock.setTimeout(() => {
      if (this.stopped) return;
      this.checkStall();
      this.armWatchdog();
    }, period);
  }

  private checkStall(): void {
    if (this.stopped || !this.watch) return;
    if (this.clock.monotonic() - this.lastActivityMono < this.options.watchdogMs) return;
    this.watch.close();
    this.watch = undefined;
    this.failed('stalled', new Error(`watch silent for ${this.options.watchdogMs} ms`));
  }

  private failed(reason: WatchRestartReason, error: unknown): void {
    if (this.stopped) return;
    if (reason === 'expired') {
      // Relist now: the history moved on, retrying the same resourceVersion cannot work.
      this.resourceVersion = '';
      this.logger.info({ resource: this.options.resource }, 'watch expired (410): relisting');
      return this.restart(reason, 0);
    }
    this.consecutiveFailures++;
    const delay = this.backoffMs();
    this.logger.warn(
      { resource: this.options.resource, reason, err: error, retryInMs: delay },
      'watch failed: restarting',
    );
    this.restart(reason, delay);
  }

  private restart(reason: WatchRestartReason, delayMs: number): void {
    this.observer.watchRestarted?.(this.options.resource, reason);
    this.retryTimer?.cancel();
    this.retryTimer = this.clock.setTimeout(() => void this.cycle(), delayMs);
  }

  /** Exponential with jitter (±20 %), capped. */
  private backoffMs(): number {
    const { backoffInitialMs, backoffMaxMs } = this.options;
    const base = Math.min(backoffMaxMs, backoffInitialMs * 2 ** Math.max(0, this.consecutiveFailures - 1));
    return Math.round(base * (0.8 + Math.random() * 0.4));
  }
}
