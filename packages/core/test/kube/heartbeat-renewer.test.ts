import { expect } from 'chai';
import pino from 'pino';
import { HeartbeatRenewer } from '../../src/kube/heartbeat-renewer.js';
import { KubeApiError, type KubeClient } from '../../src/kube/kube-client.js';
import type { LeaseObject } from '../../src/kube/lease-api.js';
import { ManualClock, flushMicrotasks } from '../../src/testing/manual-clock.js';

/** An API server whose answers the test gives, one request at a time. */
class HeldApi {
  readonly pending: { method: string; answer(ok: boolean | KubeApiError): void }[] = [];

  readonly client: Pick<KubeClient, 'request'> = {
    request: <T>(request: { method: string; body?: unknown }) =>
      new Promise<T>((resolve, reject) =>
        this.pending.push({
          method: request.method,
          answer: (ok) =>
            ok instanceof KubeApiError
              ? reject(ok)
              : ok
                ? resolve(
                    (request.body ?? { metadata: { name: 'lease', resourceVersion: '1' }, spec: {} }) as T,
                  )
                : reject(new Error('no answer within the deadline')),
        }),
      ),
  } as Pick<KubeClient, 'request'>;

  answerNext(ok: boolean | KubeApiError): void {
    const request = this.pending.shift();
    if (request === undefined) throw new Error('no request is pending');
    request.answer(ok);
  }
}

describe('HeartbeatRenewer', () => {
  function renewer(api: HeldApi, clock: ManualClock) {
    const renewals: number[] = [];
    const heartbeat = new HeartbeatRenewer(
      api.client,
      { namespace: 'egress-proxier', node: 'a', identity: 'a', renewIntervalMs: 1000, leaseDurationMs: 3000 },
      {
        renewed: (startedAt: number, _lease: LeaseObject) => renewals.push(startedAt),
        renewFailed: () => undefined,
        annotations: () => ({}),
      },
      clock,
      pino({ level: 'silent' }),
    );
    return { heartbeat, renewals };
  }

  it('knows when the oldest renewal not answered since the last success was sent', async () => {
    const api = new HeldApi();
    const clock = new ManualClock(0);
    const { heartbeat, renewals } = renewer(api, clock);
    expect(heartbeat.unansweredSince).to.equal(undefined);
    heartbeat.start(); // GET of the lease at 0
    await flushMicrotasks();
    expect(heartbeat.unansweredSince).to.equal(0);
    clock.advance(20);
    api.answerNext(true); // the GET
    await flushMicrotasks();
    api.answerNext(true); // the PUT
    await flushMicrotasks();
    expect(renewals).to.deep.equal([0]);
    expect(heartbeat.unansweredSince).to.equal(undefined);

    clock.advance(980); // the renewal due at 1 s is sent and fails; the one at 2 s hangs
    await flushMicrotasks();
    expect(heartbeat.unansweredSince).to.equal(1_000);
    api.answerNext(false);
    await flushMicrotasks();
    clock.advance(1_000);
    await flushMicrotasks();
    expect(api.pending).to.have.length(1);
    expect(heartbeat.unansweredSince, 'the failed one is still the oldest').to.equal(1_000);

    api.answerNext(true);
    await flushMicrotasks();
    expect(renewals).to.deep.equal([0, 2_000]);
    expect(heartbeat.unansweredSince).to.equal(undefined);
    await heartbeat.stop();
  });

  it('writes once more after a conflict, as when a server that held requests applies them at recovery', async () => {
    const api = new HeldApi();
    const clock = new ManualClock(0);
    const { heartbeat, renewals } = renewer(api, clock);
    heartbeat.start();
    await flushMicrotasks();
    api.answerNext(true); // GET
    await flushMicrotasks();
    api.answerNext(true); // PUT
    await flushMicrotasks();
    clock.advance(1_000);
    await flushMicrotasks();
    api.answerNext(new KubeApiError(409, 'Conflict', 'the object has been modified'));
    await flushMicrotasks();
    expect(
      api.pending.map((request) => request.method),
      'read again',
    ).to.deep.equal(['GET']);
    api.answerNext(true);
    await flushMicrotasks();
    expect(
      api.pending.map((request) => request.method),
      'and written',
    ).to.deep.equal(['PUT']);
    api.answerNext(true);
    await flushMicrotasks();
    expect(renewals, 'one renewal, sent at 1 s').to.deep.equal([0, 1_000]);
    clock.advance(1_000); // a second conflict in a row fails the attempt: no loop
    await flushMicrotasks();
    api.answerNext(new KubeApiError(409, 'Conflict', 'the object has been modified'));
    await flushMicrotasks();
    api.answerNext(true);
    await flushMicrotasks();
    api.answerNext(new KubeApiError(409, 'Conflict', 'the object has been modified'));
    await flushMicrotasks();
    expect(api.pending).to.have.length(0);
    expect(renewals).to.deep.equal([0, 1_000]);
    expect(heartbeat.unansweredSince).to.equal(2_000);
    await heartbeat.stop();
  });
});
