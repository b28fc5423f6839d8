import { expect } from 'chai';
import pino from 'pino';
import { PeerRounds } from '../../src/fencing/peer-rounds.js';
import { AgentMetrics } from '../../src/observability/agent-metrics.js';
import { ManualClock, flushMicrotasks } from '../../src/testing/manual-clock.js';
import { clockAt } from '../support/settable-clock.js';
import {
  ApiReachability,
  PeerChecker,
  judgePeerAnswers,
  selfEntitlement,
  type EntitlementInput,
  type PeerAnswer,
  type PeerVerdict,
} from '../../src/fencing/peer-fencing.js';
import { LeaseLiveness } from '../../src/fencing/lease-liveness.js';

const reachable = (node: string, live = true): PeerAnswer => ({
  node,
  live,
  status: { node, apiReachable: true },
});
const blind = (node: string, live = true): PeerAnswer => ({
  node,
  live,
  status: { node, apiReachable: false },
});
const silent = (node: string, live = true): PeerAnswer => ({ node, live, status: undefined });

describe('peer-confirmed fencing', () => {
  describe('judgePeerAnswers', () => {
    const cases: { name: string; answers: PeerAnswer[]; verdict: PeerVerdict }[] = [
      { name: 'no peers at all (single gateway)', answers: [], verdict: 'no_answer' },
      { name: 'every peer blind too', answers: [blind('b'), blind('c')], verdict: 'full_outage' },
      { name: 'one peer reaches the API', answers: [blind('b'), reachable('c')], verdict: 'cut_off' },
      {
        name: 'a reachable peer outweighs a silent one',
        answers: [silent('b'), reachable('c')],
        verdict: 'cut_off',
      },
      { name: 'nobody answers (isolated)', answers: [silent('b'), silent('c')], verdict: 'no_answer' },
      { name: 'a live peer is silent', answers: [blind('b'), silent('c')], verdict: 'incomplete' },
      {
        name: 'a dead peer (lease expired) may be silent',
        answers: [blind('b'), silent('c', false)],
        verdict: 'full_outage',
      },
      {
        name: 'a peer judged dead that reaches the API still fences',
        answers: [blind('b'), reachable('c', false)],
        verdict: 'cut_off',
      },
    ];
    for (const c of cases) it(c.name, () => expect(judgePeerAnswers(c.answers)).to.equal(c.verdict));
  });

  describe('selfEntitlement', () => {
    const base: EntitlementInput = {
      now: 10_000,
      selfFencing: true,
      renewalDeadline: undefined,
      peerConfirmedUntil: undefined,
    };
    const cases: { name: string; input: Partial<EntitlementInput>; expected: string }[] = [
      { name: 'never renewed, no confirmation', input: {}, expected: 'none' },
      { name: 'renewal recent', input: { renewalDeadline: 10_001 }, expected: 'renewal' },
      { name: 'renewal deadline reached', input: { renewalDeadline: 10_000 }, expected: 'none' },
      {
        name: 'renewal stale, peers confirm a full outage',
        input: { renewalDeadline: 9_000, peerConfirmedUntil: 10_500 },
        expected: 'peers',
      },
      {
        name: 'renewal stale, confirmation expired',
        input: { renewalDeadline: 9_000, peerConfirmedUntil: 10_000 },
        expected: 'none',
      },
      {
        name: 'renewal recent wins over a confirmation',
        input: { renewalDeadline: 11_000, peerConfirmedUntil: 10_500 },
        expected: 'renewal',
      },
      { name: 'self-fencing off', input: { selfFencing: false }, expected: 'renewal' },
    ];
    for (const c of cases)
      it(c.name, () => expect(selfEntitlement({ ...base, ...c.input })).to.equal(c.expected));
  });

  it('LeaseLiveness: a confirmation keeps the agent live past its deadline until withdrawn', () => {
    const clock = { t: 0 };
    const liveness = new LeaseLiveness({
      selfNode: 'a',
      leaseDurationMs: 3000,
      fenceMarginMs: 1000,
      viewGraceMs: 1000,
      selfFencing: true,
      clock: clockAt(clock),
    });
    liveness.selfRenewed(0);
    clock.t = 2_500;
    expect(liveness.isLive('a')).to.equal(false);
    liveness.peerConfirmed(4_000);
    expect(liveness.isLive('a')).to.equal(true);
    expect(liveness.selfEntitlement()).to.equal('peers');
    liveness.peerConfirmed(undefined); // a peer reaches the API
    expect(liveness.isLive('a')).to.equal(false);
    liveness.peerConfirmed(4_000);
    clock.t = 4_000;
    expect(liveness.isLive('a')).to.equal(false);
  });

  describe('ApiReachability', () => {
    it('answers from a fresh contact, else probes the API once for concurrent askers', async () => {
      const clock = { t: 0 };
      let probes = 0;
      let probeOk = false;
      const api = new ApiReachability({
        freshMs: 250,
        probeTimeoutMs: 250,
        clock: clockAt(clock),
        probe: async () => {
          probes++;
          if (!probeOk) throw new Error('refused');
        },
      });
      expect(await api.reachable()).to.equal(false);
      api.contact();
      clock.t = 249;
      expect(await api.reachable()).to.equal(true);
      expect(probes).to.equal(1);
      clock.t = 250;
      expect(await Promise.all([api.reachable(), api.reachable()])).to.deep.equal([false, false]);
      expect(probes).to.equal(2);
      probeOk = true;
      expect(await api.reachable()).to.equal(true);
      expect(api.lastContact).to.equal(250);
    });
  });

  describe('PeerChecker', () => {
    it('asks every peer, and counts a wrong node, an error or a timeout as no answer', async () => {
      const bodies: Record<string, unknown> = {
        'http://b': { node: 'b', apiReachable: false },
        'http://c': { node: 'x', apiReachable: true },
        'http://d': 'error',
      };
      const fakeFetch = (async (url: string) => {
        const body = bodies[url.replace('/peer/api-status', '')];
        if (body === 'error') throw new Error('refused');
        return new Response(JSON.stringify(body), { status: 200 });
      }) as unknown as typeof fetch;
      const checker = new PeerChecker(
        { timeoutMs: 100, resolve: (node) => (node === 'e' ? undefined : `http://${node}`) },
        fakeFetch,
      );
      const answers = await checker.round([
        { node: 'b', live: true },
        { node: 'c', live: true },
        { node: 'd', live: false },
        { node: 'e', live: false },
      ]);
      expect(answers.map((a) => a.status)).to.deep.equal([
        { node: 'b', apiReachable: false },
        undefined,
        undefined,
        undefined,
      ]);
    });
  });
});

describe('PeerRounds', () => {
  type Verdict = 'full_outage' | 'incomplete' | 'no_answer' | 'cut_off';
  const answers = {
    full_outage: [{ node: 'b', live: true, status: { node: 'b', apiReachable: false } }],
    incomplete: [{ node: 'b', live: true, status: undefined }],
    no_answer: [{ node: 'b', live: false, status: undefined }],
    cut_off: [{ node: 'b', live: true, status: { node: 'b', apiReachable: true } }],
  };

  /** Agent `a` renewed at 0 (lease 3 s, interval 1 s) and knows peer `b`; rounds get scripted verdicts. */
  function fixture(verdicts: Verdict[], unansweredSince: () => number | undefined) {
    const clock = new ManualClock(0);
    const liveness = new LeaseLiveness({
      selfNode: 'a',
      leaseDurationMs: 3000,
      fenceMarginMs: 1000,
      viewGraceMs: 1000,
      selfFencing: true,
      clock,
    });
    liveness.observe({
      name: 'egress-proxier-node-b',
      resourceVersion: '1',
      holderIdentity: 'b',
      leaseDurationSeconds: 3,
      renewTime: '',
      annotations: {},
    });
    liveness.selfRenewed(0);
    const started: number[] = [];
    let next = 0;
    const peerRounds = new PeerRounds({
      self: 'a',
      intervalMs: 1000,
      liveness,
      checker: {
        round: async () => {
          started.push(clock.monotonic());
          return answers[verdicts[next++] ?? 'no_answer'];
        },
      } as unknown as PeerChecker,
      unansweredSince,
      renewNow: async () => false,
      confirmed: () => undefined,
      judged: () => undefined,
      clock,
      metrics: new AgentMetrics(),
      logger: pino({ level: 'silent' }),
    });
    return { clock, liveness, peerRounds, started };
  }

  /** Rounds with scripted verdicts (the renewal sent at 1 s hung); the entitlement after each. */
  async function rounds(verdicts: Verdict[]) {
    const { clock, liveness, peerRounds } = fixture(verdicts, () => 1_000);
    const entitlement: string[] = [];
    clock.advance(1_500); // renewals overdue: the first round is due; then one every half interval
    for (let i = 0; i < verdicts.length; i++) {
      peerRounds.check();
      await flushMicrotasks();
      clock.advance(250);
      entitlement.push(`${clock.monotonic()}:${liveness.selfEntitlement()}`);
      clock.advance(250);
    }
    return entitlement;
  }

  /** When the first round starts, checked every 100 ms as the liveness tick does. */
  async function firstRoundAt(unansweredSince: () => number | undefined): Promise<number | undefined> {
    const { clock, peerRounds, started } = fixture(['full_outage'], unansweredSince);
    for (let t = 0; t <= 2_000 && started.length === 0; t += 100) {
      peerRounds.check();
      await flushMicrotasks();
      clock.advance(100);
    }
    return started[0];
  }

  it('asks first 0.3 intervals after the oldest unanswered renewal was sent, once a renewal was due', async () => {
    // The renewal due at 1 s hung: peers' own requests are older than 1 s, stale by 1.25 s; asked at 1.3 s.
    expect(await firstRoundAt(() => 1_000)).to.equal(1_300);
    // Sent late (a loaded node): the peers may have completed requests until 1.2 s; asked at 1.5 s.
    expect(await firstRoundAt(() => 1_200)).to.equal(1_500);
    // An extra renewal (new annotations) hung at 0.4 s: still no round before a renewal was due.
    expect(await firstRoundAt(() => 400)).to.equal(1_300);
    // Nothing sent since the last success (a stalled renewer): 1.5 intervals after it.
    expect(await firstRoundAt(() => undefined)).to.equal(1_500);
  });

  it('keeps a confirmation through a round that got no answer in time, until it runs out', async () => {
    // Renewal deadline 2 s; rounds at 1.5, 2, 2.5, 3 s. The round at 1.5 s confirms until 3.25 s; 2 s gets no
    // answer in time (no extension, no withdrawal); 2.5 s confirms again from its start.
    expect(await rounds(['full_outage', 'incomplete', 'full_outage', 'full_outage'])).to.deep.equal([
      '1750:renewal',
      '2250:peers',
      '2750:peers',
      '3250:peers',
    ]);
    // Only silence after 1.5 s: the confirmation runs out at 3.25 s, and no round starts after that.
    expect(await rounds(['full_outage', 'no_answer', 'no_answer', 'no_answer', 'full_outage'])).to.deep.equal(
      ['1750:renewal', '2250:peers', '2750:peers', '3250:none', '3750:none'],
    );
  });

  it('never brings back an agent that has fenced: a later full outage confirms nothing for it', async () => {
    // The first round gets no answer and the renewal deadline (2 s) passes: fenced. Peers that later all
    // answer "no API" must not make it live again, since another node may have taken its IPs meanwhile.
    expect(await rounds(['no_answer', 'full_outage', 'full_outage', 'full_outage'])).to.deep.equal([
      '1750:renewal',
      '2250:none',
      '2750:none',
      '3250:none',
    ]);
  });

  it('ends the confirmation at once when a peer reaches the API and this agent cannot renew', async () => {
    expect(await rounds(['full_outage', 'cut_off'])).to.deep.equal(['1750:renewal', '2250:none']);
  });
});
