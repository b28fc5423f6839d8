// kube-proxy's BoundedFrequencyRunner (k8s.io/kubernetes/pkg/util/async) for an async function: requests
// coalesce, runs are at least `minIntervalMs` apart and at most `maxIntervalMs` apart, never overlap, and a
// failed run is retried with exponential backoff.
//
// What is implemented, precisely:
// - The rate limit is kube-proxy's token bucket: `burst` runs may start back to back, and tokens come back
//   one per `minIntervalMs` (kube-proxy's iptables proxier uses a burst of 2). With a burst of 1, a run may
//   start only when `minIntervalMs` has passed since the previous run *started*.
// - The periodic run happens `maxIntervalMs` after the previous run *ended* (kube-proxy resets its timer
//   after the function returns), or after `start()` when nothing has run yet.
// - `run()` requests a run. Any number of requests before a run starts are served by that one run; a
//   request made while a run is in progress schedules exactly one more run after it.
// - A failed run (the function threw) schedules a retry after `retryInitialMs`, doubling with each
//   consecutive failure up to `retryMaxMs`, reset by a success. Like kube-proxy's `RetryAfter`, a retry
//   means "run again no later than this"; a request arriving sooner is served sooner (still subject to
//   the minimum interval), since new state may be what fixes the failure.
// - Timers and durations use the injected Clock's monotonic time and timers (sinon's fake timers or a
//   ManualClock drive them in tests); its wall time stamps what health checks and metrics report.
import { setMaxListeners } from 'node:events';
import type { Logger } from 'pino';
import type { Clock, Timer } from './clock.js';

/** The function being run; it should stop early, by throwing or returning, when `signal` aborts. */
export type RunnerFunction = (signal: AbortSignal) => Promise<void>;

export interface BoundedFrequencyRunnerOptions {
  /** For logs, e.g. `sync-proxier`. */
  name: string;
  /** Minimum time between the starts of two runs (kube-proxy's `--min-sync-period`); 0 for none. */
  minIntervalMs: number;
  /** Maximum time from the end of one run to the start of the next (`--sync-period`); Infinity for none. */
  maxIntervalMs: number;
  /** First retry delay after a failure. */
  retryInitialMs: number;
  /** Cap on the doubled retry delay. */
  retryMaxMs: number;
  /** Runs that may start back to back before the minimum interval applies (default 1). */
  burst?: number;
}

export interface BoundedFrequencyRunnerDependencies {
  clock: Clock;
  logger: Logger;
}

/** Reported after each run, for metrics. */
export interface RunOutcome {
  ok: boolean;
  durationMs: number;
  error?: unknown;
}

export interface RunnerCounts {
  /** Calls to `run()`. */
  requests: number;
  runs: number;
  failures: number;
  /** Failures since the last success. */
  consecutiveFailures: number;
}

type RunnerState = 'created' | 'started' | 'stopped';

/** setTimeout stores delays as 32-bit signed integers; longer ones would fire at once. */
const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

export class BoundedFrequencyRunner {
  private state: RunnerState = 'created';
  private timer: Timer | undefined;
  private wakeGeneration = 0;
  private running: Promise<void> | undefined;
  private readonly abortController = abortControllerForRuns();
  private readonly listeners: ((outcome: RunOutcome) => void)[] = [];

  /** A request is waiting to be served by a run that has not started yet. */
  private requested = false;
  /** Monotonic time by which a retry (or `retryAfter`) wants a run, if any. */
  private retryDueMono: number | undefined;
  /**
   * The token bucket as GCRA (integer arithmetic, no drift): the "theoretical arrival time" of the next run;
   * a run may start once `now >= tat - (burst - 1) * minInterval`.
   */
  private tatMono = -Infinity;
  /** End of the previous run or `start()`; the base of the periodic run. */
  private periodBaseMono: number | undefined;

  private lastRunAtMs: number | undefined;
  private lastSuccessAtMs: number | undefined;
  private pendingSinceMs: number | undefined;
  private readonly counters: RunnerCounts = { requests: 0, runs: 0, failures: 0, consecutiveFailures: 0 };

  constructor(
    private readonly fn: RunnerFunction,
    private readonly options: BoundedFrequencyRunnerOptions,
    private readonly deps: BoundedFrequencyRunnerDependencies,
  ) {
    const { minIntervalMs, maxIntervalMs, retryInitialMs, retryMaxMs } = options;
    if (!(minIntervalMs >= 0)) throw new RangeError(`${options.name}: minIntervalMs must be >= 0`);
    if (!(maxIntervalMs >= minIntervalMs))
      throw new RangeError(`${options.name}: maxIntervalMs must be >= minIntervalMs`);
    if (!(retryInitialMs > 0 && retryMaxMs >= retryInitialMs)) {
      throw new RangeError(`${options.name}: need 0 < retryInitialMs <= retryMaxMs`);
    }
    const burst = options.burst ?? 1;
    if (!(Number.isInteger(burst) && burst >= 1)) throw new RangeError(`${options.name}: burst must be >= 1`);
  }

  /** Clock time the last run started, if any. */
  get lastRunAt(): number | undefined {
    return this.lastRunAtMs;
  }

  /** Clock time the last successful run started, if any. */
  get lastSuccessAt(): number | undefined {
    return this.lastSuccessAtMs;
  }

  /**
   * Clock time of the oldest request not yet served by a successful run (a failed run leaves its requests
   * pending from when they were made), or undefined when all are served. For `/healthz`: an agent is
   * unhealthy when this is older than the sync period plus a margin.
   */
  get pendingSince(): number | undefined {
    return this.pendingSinceMs;
  }

  get counts(): Readonly<RunnerCounts> {
    return { ...this.counters };
  }

  /** Called after every run with its outcome; returns a function that unsubscribes. */
  onRunFinished(listener: (outcome: RunOutcome) => void): () => void {
    this.listeners.push(listener);
    return () => {
      const index = this.listeners.indexOf(listener);
      if (index >= 0) this.listeners.splice(index, 1);
    };
  }

  /** Starts the loop. Requests made before `start()` are served right after it. */
  start(): void {
    if (this.state !== 'created') throw new Error(`${this.options.name}: runner already ${this.state}`);
    this.state = 'started';
    this.periodBaseMono = this.deps.clock.monotonic();
    this.schedule();
  }

  /** Requests a run. Cheap: call it on every change. */
  run(): void {
    if (this.state === 'stopped') return;
    this.counters.requests++;
    this.requested = true;
    this.pendingSinceMs ??= this.deps.clock.now();
    this.schedule();
  }

  /** Ensures a run no later than `delayMs` from now (still subject to the minimum interval). */
  retryAfter(delayMs: number): void {
    if (this.state === 'stopped') return;
    this.retryAfterFrom(this.deps.clock.monotonic(), delayMs);
    this.schedule();
  }

  /** Stops scheduling, aborts the signal of a run in progress and waits for it to return. */
  async stop(): Promise<void> {
    if (this.state === 'stopped') return this.running;
    this.state = 'stopped';
    this.cancelWake();
    this.abortController.abort(new Error(`${this.options.name}: runner stopped`));
    await this.running;
  }

  /** The earliest monotonic time the rate limit lets a run start. */
  private earliestStartMono(): number {
    const { minIntervalMs, burst = 1 } = this.options;
    return this.tatMono - (burst - 1) * minIntervalMs;
  }

  /** Monotonic time the next run is due, or undefined when nothing is due. */
  private nextDueMono(): number | undefined {
    const earliestStart = this.earliestStartMono();
    const candidates: number[] = [];
    if (this.periodBaseMono !== undefined && Number.isFinite(this.options.maxIntervalMs)) {
      candidates.push(this.periodBaseMono + this.options.maxIntervalMs);
    }
    if (this.requested) candidates.push(earliestStart);
    if (this.retryDueMono !== undefined) candidates.push(Math.max(this.retryDueMono, earliestStart));
    return candidates.length === 0 ? undefined : Math.min(...candidates);
  }

  private schedule(): void {
    if (this.state !== 'started' || this.running !== undefined) return;
    this.cancelWake();
    const due = this.nextDueMono();
    if (due === undefined) return;
    const delay = Math.min(due - this.deps.clock.monotonic(), MAX_TIMER_DELAY_MS);
    const generation = this.wakeGeneration;
    const wake = (): void => {
      if (generation === this.wakeGeneration) this.onWake();
    };
    // Due now: a microtask, so that a burst of synchronous requests still coalesces but nothing waits for
    // a timer tick (setTimeout(0) is really 1 ms).
    if (delay <= 0) void Promise.resolve().then(wake);
    else this.timer = this.deps.clock.setTimeout(wake, delay);
  }

  /** Invalidates any pending wake-up, timer or microtask. */
  private cancelWake(): void {
    this.wakeGeneration++;
    this.timer?.cancel();
    this.timer = undefined;
  }

  private onWake(): void {
    this.timer = undefined;
    if (this.state !== 'started' || this.running !== undefined) return;
    const due = this.nextDueMono();
    // A clamped long delay, or sub-millisecond timer rounding: not due yet, wait again.
    if (due === undefined || due > this.deps.clock.monotonic() + 1) return this.schedule();
    this.running = this.execute().finally(() => {
      this.running = undefined;
      this.schedule();
    });
  }

  private async execute(): Promise<void> {
    const clock = this.deps.clock;
    const startMono = clock.monotonic();
    this.tatMono = Math.max(this.tatMono, startMono) + this.options.minIntervalMs;
    this.lastRunAtMs = this.deps.clock.now();
    // Everything requested up to now is served by this run (if it succeeds).
    const servedSince = this.pendingSinceMs ?? this.lastRunAtMs;
    this.pendingSinceMs = undefined;
    this.requested = false;
    this.retryDueMono = undefined;
    this.counters.runs++;
    let outcome: RunOutcome;
    try {
      await this.fn(this.abortController.signal);
      outcome = { ok: true, durationMs: clock.monotonic() - startMono };
      this.counters.consecutiveFailures = 0;
      this.lastSuccessAtMs = this.lastRunAtMs;
    } catch (error) {
      outcome = { ok: false, durationMs: clock.monotonic() - startMono, error };
      this.counters.failures++;
      this.counters.consecutiveFailures++;
      // Unserved: the oldest of the failed run's requests and any made while it ran.
      this.pendingSinceMs = Math.min(servedSince, this.pendingSinceMs ?? Infinity);
      if (this.state === 'started') {
        const delay = this.retryDelayMs(this.counters.consecutiveFailures);
        this.deps.logger.warn({ runner: this.options.name, err: error, retryInMs: delay }, 'run failed');
        this.retryAfterFrom(clock.monotonic(), delay);
      }
    }
    this.periodBaseMono = clock.monotonic();
    for (const listener of [...this.listeners]) {
      try {
        listener(outcome);
      } catch (error) {
        // A broken metrics hook must not break the loop.
        this.deps.logger.error({ runner: this.options.name, err: error }, 'run listener failed');
      }
    }
  }

  /** retryInitial · 2^(failures−1), capped at retryMax. */
  private retryDelayMs(consecutiveFailures: number): number {
    const { retryInitialMs, retryMaxMs } = this.options;
    return Math.min(retryMaxMs, retryInitialMs * 2 ** Math.min(consecutiveFailures - 1, 52));
  }

  private retryAfterFrom(fromMono: number, delayMs: number): void {
    const due = fromMono + delayMs;
    this.retryDueMono = this.retryDueMono === undefined ? due : Math.min(this.retryDueMono, due);
  }
}

/**
 * Every command of a run listens on the run's signal, and a sync reads the node's state with a dozen commands
 * in parallel: more than Node's default of 10 listeners, which it reports as a possible leak. Listeners go
 * with their command, so the number is bounded by a run's parallelism, not by the runner's age.
 */
function abortControllerForRuns(): AbortController {
  const controller = new AbortController();
  setMaxListeners(64, controller.signal);
  return controller;
}
