// The sync runner under sinon fake timers: every assertion is about virtual time, so nothing here depends
// on the speed of the machine.
import { getMaxListeners } from 'node:events';
import { expect } from 'chai';
import pino from 'pino';
import sinon from 'sinon';
import {
  BoundedFrequencyRunner,
  type BoundedFrequencyRunnerOptions,
  type RunnerFunction,
} from '../src/runner/bounded-frequency-runner.js';
import { systemClock } from '../src/runner/clock.js';

const silent = pino({ level: 'silent' });

const defaults: BoundedFrequencyRunnerOptions = {
  name: 'test',
  minIntervalMs: 1_000,
  maxIntervalMs: 60_000,
  retryInitialMs: 1_000,
  retryMaxMs: 8_000,
};

/** A function that records the virtual times its runs start and end, and can be told to fail or take time. */
class Recorder {
  readonly starts: number[] = [];
  readonly ends: number[] = [];
  active = 0;
  maxActive = 0;
  durationMs = 0;
  failuresLeft = 0;

  readonly fn: RunnerFunction = async () => {
    this.starts.push(Date.now());
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    try {
      if (this.durationMs > 0) await new Promise((resolve) => setTimeout(resolve, this.durationMs));
      if (this.failuresLeft > 0) {
        this.failuresLeft--;
        throw new Error('sync failed');
      }
    } finally {
      this.active--;
      this.ends.push(Date.now());
    }
  };
}

function gaps(times: readonly number[]): number[] {
  return times.slice(1).map((time, index) => time - (times[index] ?? 0));
}

describe('BoundedFrequencyRunner', () => {
  let clock: sinon.SinonFakeTimers;
  let runner: BoundedFrequencyRunner | undefined;

  beforeEach(() => {
    clock = sinon.useFakeTimers({ now: 0 });
  });
  afterEach(async () => {
    // The recorded functions wait on fake timers, so time must move for a running one to finish.
    const stopping = runner?.stop();
    await clock.tickAsync(60_000);
    await stopping;
    runner = undefined;
    clock.restore();
  });

  function create(
    recorder: Recorder,
    options: Partial<BoundedFrequencyRunnerOptions> = {},
  ): BoundedFrequencyRunner {
    runner = new BoundedFrequencyRunner(
      recorder.fn,
      { ...defaults, ...options },
      { clock: systemClock, logger: silent },
    );
    return runner;
  }

  it("lets a sync's parallel commands listen on its signal without Node's listener-leak warning", async () => {
    const limits: number[] = [];
    const bfr = new BoundedFrequencyRunner(
      async (signal) => {
        limits.push(getMaxListeners(signal));
      },
      defaults,
      { clock: systemClock, logger: silent },
    );
    runner = bfr;
    bfr.start();
    bfr.run();
    await clock.tickAsync(1);
    // Node warns past this many listeners; a sync reads the node's state with a dozen commands at once.
    expect(limits).to.have.length(1);
    expect(limits[0]).to.be.at.least(32);
  });

  it('serves a burst of 100 requests with one run', async () => {
    const recorder = new Recorder();
    const bfr = create(recorder);
    bfr.start();
    for (let i = 0; i < 100; i++) bfr.run();
    await clock.tickAsync(10_000);
    expect(recorder.starts).to.deep.equal([0]);
    expect(bfr.counts).to.include({ requests: 100, runs: 1 });
  });

  it('serves 100 requests spread over a run with exactly one more run after it', async () => {
    const recorder = new Recorder();
    recorder.durationMs = 500;
    const bfr = create(recorder, { minIntervalMs: 0 });
    bfr.start();
    bfr.run();
    for (let i = 0; i < 100; i++) {
      await clock.tickAsync(4);
      bfr.run();
    }
    await clock.tickAsync(10_000);
    expect(recorder.starts).to.deep.equal([0, 500]);
  });

  it('keeps run starts at least minInterval apart', async () => {
    const recorder = new Recorder();
    const bfr = create(recorder, { minIntervalMs: 1_000 });
    bfr.start();
    bfr.run();
    await clock.tickAsync(100);
    bfr.run(); // too soon: waits until 1000
    await clock.tickAsync(2_000); // now 2100: the limit has passed, so the next request runs at once
    bfr.run();
    await clock.tickAsync(300);
    bfr.run(); // waits until 3100
    await clock.tickAsync(5_000);
    expect(recorder.starts).to.deep.equal([0, 1_000, 2_100, 3_100]);
  });

  it('with a burst of 2, lets two runs start back to back and refills one token per minInterval', async () => {
    const recorder = new Recorder();
    const bfr = create(recorder, { minIntervalMs: 1_000, burst: 2 });
    bfr.start();
    bfr.run();
    await clock.tickAsync(100);
    bfr.run(); // second token: at once
    await clock.tickAsync(100);
    bfr.run(); // no token left: the first refill comes 1 s after the first run
    await clock.tickAsync(5_000); // now 5200: both tokens are back
    bfr.run();
    await clock.tickAsync(10);
    bfr.run();
    await clock.tickAsync(10);
    bfr.run();
    await clock.tickAsync(5_000);
    expect(recorder.starts).to.deep.equal([0, 100, 1_000, 5_200, 5_210, 6_200]);
  });

  it('refuses a burst below 1', () => {
    expect(() => create(new Recorder(), { burst: 0 })).to.throw(RangeError, /burst/);
  });

  it('measures minInterval from the start of a run, so a long run is followed at once', async () => {
    const recorder = new Recorder();
    recorder.durationMs = 1_500;
    const bfr = create(recorder, { minIntervalMs: 1_000 });
    bfr.start();
    bfr.run();
    await clock.tickAsync(200);
    bfr.run();
    await clock.tickAsync(5_000);
    expect(recorder.starts).to.deep.equal([0, 1_500]);
  });

  it('runs every maxInterval, measured from the end of the previous run, without requests', async () => {
    const recorder = new Recorder();
    recorder.durationMs = 100;
    const bfr = create(recorder, { maxIntervalMs: 5_000 });
    bfr.start();
    await clock.tickAsync(16_000);
    expect(recorder.starts).to.deep.equal([5_000, 10_100, 15_200]);
  });

  it('restarts the periodic wait after a requested run', async () => {
    const recorder = new Recorder();
    const bfr = create(recorder, { maxIntervalMs: 5_000 });
    bfr.start();
    await clock.tickAsync(3_000);
    bfr.run();
    await clock.tickAsync(9_000);
    expect(recorder.starts).to.deep.equal([3_000, 8_000]);
  });

  it('never runs two at once', async () => {
    const recorder = new Recorder();
    recorder.durationMs = 3_000;
    const bfr = create(recorder, { minIntervalMs: 0, maxIntervalMs: 2_000 });
    bfr.start();
    for (let i = 0; i < 40; i++) {
      bfr.run();
      await clock.tickAsync(250);
    }
    await clock.tickAsync(10_000);
    expect(recorder.maxActive).to.equal(1);
    // While requests keep coming, each run starts when the previous one ends (the periodic timer, shorter
    // than a run, does not start one early); the last request (9750) is served by the run at 12000, and
    // the periodic run follows 2000 after it ends.
    expect(recorder.starts).to.deep.equal([0, 3_000, 6_000, 9_000, 12_000, 17_000]);
  });

  it('retries a failing run with doubling delays capped at retryMax, and resets after a success', async () => {
    const recorder = new Recorder();
    recorder.failuresLeft = 5;
    const bfr = create(recorder, { minIntervalMs: 0, retryInitialMs: 1_000, retryMaxMs: 4_000 });
    bfr.start();
    bfr.run();
    await clock.tickAsync(20_000);
    expect(gaps(recorder.starts)).to.deep.equal([1_000, 2_000, 4_000, 4_000, 4_000]);
    expect(bfr.counts).to.include({ runs: 6, failures: 5, consecutiveFailures: 0 });

    recorder.failuresLeft = 1;
    const before = recorder.starts.length;
    bfr.run();
    await clock.tickAsync(20_000);
    // One failure, then the first retry delay again: the backoff was reset by the success.
    expect(gaps(recorder.starts.slice(before))).to.deep.equal([1_000]);
  });

  it('serves a request during backoff without waiting for the retry, subject to minInterval', async () => {
    const recorder = new Recorder();
    recorder.failuresLeft = 2;
    const bfr = create(recorder, { minIntervalMs: 500, retryInitialMs: 4_000, retryMaxMs: 8_000 });
    bfr.start();
    bfr.run(); // fails at 0, retry due at 4000
    await clock.tickAsync(100);
    bfr.run(); // new state: served at 500 (fails again, retry due at 500 + 8000)
    await clock.tickAsync(20_000);
    expect(recorder.starts).to.deep.equal([0, 500, 8_500]);
  });

  it('retryAfter asks for a run no later than the given delay', async () => {
    const recorder = new Recorder();
    const bfr = create(recorder, { minIntervalMs: 0 });
    bfr.start();
    bfr.retryAfter(2_500);
    bfr.retryAfter(7_000); // a later retry does not postpone the earlier one
    await clock.tickAsync(10_000);
    expect(recorder.starts).to.deep.equal([2_500]);
  });

  it('reports the oldest unserved request in pendingSince, including requests of a failed run', async () => {
    const recorder = new Recorder();
    recorder.failuresLeft = 1;
    const bfr = create(recorder, { minIntervalMs: 1_000, retryInitialMs: 2_000 });
    expect(bfr.pendingSince).to.equal(undefined);
    bfr.run(); // before start: pending, not yet run
    await clock.tickAsync(300);
    expect(bfr.pendingSince).to.equal(0);
    bfr.start();
    await clock.tickAsync(0); // runs at 300 and fails: still pending since 0
    expect(bfr.lastRunAt).to.equal(300);
    expect(bfr.pendingSince).to.equal(0);
    expect(bfr.lastSuccessAt).to.equal(undefined);
    await clock.tickAsync(2_000); // the retry at 2300 succeeds
    expect(bfr.pendingSince).to.equal(undefined);
    expect(bfr.lastSuccessAt).to.equal(2_300);
  });

  it('reports every outcome to listeners, and survives a throwing listener', async () => {
    const recorder = new Recorder();
    recorder.failuresLeft = 1;
    recorder.durationMs = 40;
    const bfr = create(recorder, { minIntervalMs: 0 });
    const outcomes: { ok: boolean; durationMs: number }[] = [];
    bfr.onRunFinished(() => {
      throw new Error('broken hook');
    });
    bfr.onRunFinished(({ ok, durationMs }) => outcomes.push({ ok, durationMs }));
    bfr.start();
    bfr.run();
    await clock.tickAsync(5_000);
    expect(outcomes).to.deep.equal([
      { ok: false, durationMs: 40 },
      { ok: true, durationMs: 40 },
    ]);
  });

  it('stop aborts the signal of the running function and waits for it to return', async () => {
    let seenSignal: AbortSignal | undefined;
    let finished = false;
    runner = new BoundedFrequencyRunner(
      async (signal) => {
        seenSignal = signal;
        await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
        await new Promise((resolve) => setTimeout(resolve, 200)); // cleanup takes time
        finished = true;
      },
      defaults,
      { clock: systemClock, logger: silent },
    );
    runner.start();
    runner.run();
    await clock.tickAsync(10);
    expect(seenSignal?.aborted).to.equal(false);
    let stopped = false;
    const stopping = runner.stop().then(() => (stopped = true));
    await clock.tickAsync(100);
    expect(seenSignal?.aborted).to.equal(true);
    expect(stopped).to.equal(false);
    await clock.tickAsync(100);
    await stopping;
    expect(finished).to.equal(true);
  });

  it('runs nothing after stop, whatever is requested', async () => {
    const recorder = new Recorder();
    const bfr = create(recorder, { maxIntervalMs: 1_000 });
    bfr.start();
    await bfr.stop();
    bfr.run();
    bfr.retryAfter(10);
    await clock.tickAsync(10_000);
    expect(recorder.starts).to.deep.equal([]);
  });

  it('rejects inconsistent intervals', () => {
    const recorder = new Recorder();
    expect(() => create(recorder, { minIntervalMs: 10, maxIntervalMs: 5 })).to.throw(RangeError);
    expect(() => create(recorder, { retryInitialMs: 0 })).to.throw(RangeError);
    expect(() => create(recorder, { retryInitialMs: 10, retryMaxMs: 5 })).to.throw(RangeError);
    runner = undefined;
  });

  it('with an infinite maxInterval runs only on request', async () => {
    const recorder = new Recorder();
    const bfr = create(recorder, { maxIntervalMs: Infinity });
    bfr.start();
    await clock.tickAsync(1_000_000);
    expect(recorder.starts).to.deep.equal([]);
    bfr.run();
    await clock.tickAsync(1);
    expect(recorder.starts).to.deep.equal([1_000_000]);
  });
});
