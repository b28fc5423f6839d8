import { expect } from 'chai';
import pino from 'pino';
import sinon from 'sinon';
import type { EventOccurrence } from '../../../src/kube/events/core-event.js';
import { EventCorrelator } from '../../../src/kube/events/event-correlator.js';
import {
  DEFAULT_EVENT_RECORDER_OPTIONS,
  EventRecorder,
  type EventDropReason,
} from '../../../src/kube/events/event-recorder.js';
import { KubeApiError, type KubeClient, type KubeRequest } from '../../../src/kube/kube-client.js';
import { ManualClock, flushMicrotasks } from '../../../src/testing/manual-clock.js';

const SOURCE = {
  component: 'egress-proxier',
  reportingComponent: 'egress-proxier.io/agent',
  reportingInstance: 'a',
};

function occurrence(message: string, reason = 'GatewayMoved'): EventOccurrence {
  return {
    involvedObject: {
      apiVersion: 'egress.proxier.io/v1alpha1',
      kind: 'Egress',
      name: 'pay',
      uid: 'u',
      resourceVersion: '1',
    },
    type: 'Normal',
    reason,
    message,
  };
}

/** An API whose answers the test decides per request, in order; unanswered requests stay pending. */
class ScriptedApi {
  readonly requests: KubeRequest[] = [];
  private readonly answers: (KubeApiError | Error | 'ok' | 'hang')[] = [];

  readonly client: Pick<KubeClient, 'request'> = {
    request: <T>(request: KubeRequest): Promise<T> => {
      this.requests.push(request);
      const answer = this.answers.shift() ?? 'ok';
      if (answer === 'ok') return Promise.resolve({} as T);
      if (answer === 'hang')
        return new Promise<T>((_resolve, reject) =>
          request.signal?.addEventListener('abort', () => reject(new Error('aborted'))),
        );
      return Promise.reject(answer);
    },
  };

  answer(...answers: (KubeApiError | Error | 'ok' | 'hang')[]): void {
    this.answers.push(...answers);
  }

  summary(): string[] {
    return this.requests.map((r) => `${r.method} ${r.path}`);
  }
}

function apiError(status: number): KubeApiError {
  return new KubeApiError(status, 'Some', `HTTP ${status}`);
}

describe('EventRecorder', () => {
  let clock: ManualClock;
  let api: ScriptedApi;
  let results: boolean[];
  let drops: EventDropReason[];
  let logger: pino.Logger;
  let recorder: EventRecorder;

  beforeEach(() => {
    clock = new ManualClock();
    api = new ScriptedApi();
    results = [];
    drops = [];
    logger = pino({ level: 'silent' });
    recorder = new EventRecorder(api.client, new EventCorrelator(SOURCE, clock), clock, logger, {
      eventWritten: (ok) => results.push(ok),
      eventDropped: (reason) => drops.push(reason),
    });
  });

  afterEach(() => recorder.stop());

  it('POSTs a new event to the default namespace, then PATCHes count, lastTimestamp and message', async () => {
    recorder.record(occurrence('m'));
    await recorder.idle();
    clock.advance(60_000);
    recorder.record(occurrence('m'));
    await recorder.idle();
    const [create, patch] = api.requests;
    expect(api.summary()).to.deep.equal([
      'POST /api/v1/namespaces/default/events',
      `PATCH /api/v1/namespaces/default/events/${(create?.body as { metadata: { name: string } }).metadata.name}`,
    ]);
    expect(patch?.contentType).to.equal('application/merge-patch+json');
    expect(patch?.body).to.deep.equal({ count: 2, lastTimestamp: '2025-01-01T00:01:00Z', message: 'm' });
    expect(results).to.deep.equal([true, true]);
  });

  it('returns at once: writes happen in order in the background, one at a time', async () => {
    api.answer('hang');
    recorder.record(occurrence('a'));
    recorder.record(occurrence('b'));
    await flushMicrotasks();
    expect(api.requests).to.have.length(1);
    expect(results).to.deep.equal([]);
  });

  it('creates the event whole when the one to patch is gone (404)', async () => {
    recorder.record(occurrence('m'));
    await recorder.idle();
    api.answer(apiError(404));
    recorder.record(occurrence('m'));
    await recorder.idle();
    expect(api.summary().map((s) => s.split(' ')[0])).to.deep.equal(['POST', 'PATCH', 'POST']);
    expect((api.requests[2]?.body as { count: number }).count).to.equal(2);
    expect(results).to.deep.equal([true, true]);
  });

  it('retries a write the API may answer later (no answer, 429, 5xx) twice, then drops it', async () => {
    api.answer(new Error('no answer within 10000 ms'), apiError(503), apiError(429));
    recorder.record(occurrence('m'));
    await flushMicrotasks();
    expect(api.requests).to.have.length(1);
    await clock.advanceAsync(DEFAULT_EVENT_RECORDER_OPTIONS.retryDelayMs);
    expect(api.requests).to.have.length(2);
    await clock.advanceAsync(2 * DEFAULT_EVENT_RECORDER_OPTIONS.retryDelayMs);
    await recorder.idle();
    expect(api.requests).to.have.length(3);
    expect(results).to.deep.equal([false]);
    // The series starts over: the next identical occurrence creates, it does not patch a missing event.
    recorder.record(occurrence('m'));
    await recorder.idle();
    expect(api.requests[3]?.method).to.equal('POST');
  });

  it('does not retry a refusal that will not change (422), and goes on with the next write', async () => {
    api.answer(apiError(422));
    recorder.record(occurrence('a'));
    recorder.record(occurrence('b'));
    await recorder.idle();
    expect(api.requests).to.have.length(2);
    expect(results).to.deep.equal([false, true]);
  });

  it('logs a 403 once as an error naming the RBAC to grant, later ones at debug', async () => {
    const error = sinon.spy(logger, 'error');
    const debug = sinon.spy(logger, 'debug');
    api.answer(apiError(403), apiError(403), apiError(403));
    for (const m of ['a', 'b', 'c']) recorder.record(occurrence(m));
    await recorder.idle();
    expect(error.callCount).to.equal(1);
    expect(String(error.firstCall.args[1])).to.include('create and patch on events in namespace default');
    expect(debug.getCalls().filter((c) => c.args[1] === 'event write forbidden')).to.have.length(2);
    expect(results).to.deep.equal([false, false, false]);
  });

  it('counts occurrences the spam filter drops, and never sends them', async () => {
    for (let i = 0; i < 30; i++) recorder.record(occurrence(`m${i % 2}`));
    await recorder.idle();
    expect(api.requests).to.have.length(25);
    expect(drops).to.deep.equal(Array(5).fill('rate_limited'));
  });

  it('drops writes beyond its queue bound instead of growing', async () => {
    const small = new EventRecorder(
      api.client,
      new EventCorrelator(SOURCE, clock),
      clock,
      logger,
      { eventDropped: (reason) => drops.push(reason) },
      { ...DEFAULT_EVENT_RECORDER_OPTIONS, maxQueued: 2 },
    );
    api.answer('hang');
    for (const reason of ['A', 'B', 'C', 'D']) small.record(occurrence('m', reason));
    // A is in flight, B and C wait, D finds the queue full.
    expect(drops).to.deep.equal(['queue_full']);
    await small.stop();
  });

  it('stops without waiting for a hung write or a retry delay', async () => {
    api.answer('hang');
    recorder.record(occurrence('m'));
    recorder.record(occurrence('n'));
    await flushMicrotasks();
    await recorder.stop();
    recorder.record(occurrence('after'));
    await flushMicrotasks();
    expect(api.requests).to.have.length(1);
  });
});
