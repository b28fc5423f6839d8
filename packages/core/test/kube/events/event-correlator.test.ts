import { expect } from 'chai';
import type { EventOccurrence, InvolvedObject } from '../../../src/kube/events/core-event.js';
import {
  COMBINED_MESSAGE_PREFIX,
  DEFAULT_EVENT_CORRELATOR_OPTIONS,
  EventCorrelator,
  type EventCorrelatorOptions,
  type EventWrite,
} from '../../../src/kube/events/event-correlator.js';
import { LruMap } from '../../../src/kube/events/lru-map.js';
import { TokenBucket } from '../../../src/kube/events/token-bucket.js';
import { ManualClock, MANUAL_CLOCK_EPOCH_MS } from '../../../src/testing/manual-clock.js';

const MINUTE = 60_000;
const SOURCE = {
  component: 'egress-proxier',
  reportingComponent: 'egress-proxier.io/agent',
  reportingInstance: 'node-a',
};

function egress(name: string, uid = `uid-${name}`): InvolvedObject {
  return { apiVersion: 'egress.proxier.io/v1alpha1', kind: 'Egress', name, uid, resourceVersion: '1' };
}

function occurrence(message: string, overrides: Partial<EventOccurrence> = {}): EventOccurrence {
  return { involvedObject: egress('pay'), type: 'Normal', reason: 'GatewayMoved', message, ...overrides };
}

/** The write, insisting it is not rate-limited. */
function written(write: EventWrite): Exclude<EventWrite, { kind: 'rateLimited' }> {
  if (write.kind === 'rateLimited') throw new Error('unexpectedly rate-limited');
  return write;
}

describe('EventCorrelator', () => {
  let clock: ManualClock;
  let correlator: EventCorrelator;

  function withOptions(options: Partial<EventCorrelatorOptions>): EventCorrelator {
    return new EventCorrelator(SOURCE, clock, { ...DEFAULT_EVENT_CORRELATOR_OPTIONS, ...options });
  }

  beforeEach(() => {
    clock = new ManualClock();
    correlator = new EventCorrelator(SOURCE, clock);
  });

  it('creates a core/v1 event in default about the object, signed by the agent', () => {
    const write = written(correlator.correlate(occurrence('egress IP 192.0.2.10 moved')));
    expect(write.kind).to.equal('create');
    expect(write.event).to.deep.equal({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: {
        name: `pay.${(BigInt(MANUAL_CLOCK_EPOCH_MS) * 1_000_000n).toString(16)}`,
        namespace: 'default',
      },
      involvedObject: egress('pay'),
      type: 'Normal',
      reason: 'GatewayMoved',
      message: 'egress IP 192.0.2.10 moved',
      source: { component: 'egress-proxier' },
      reportingComponent: 'egress-proxier.io/agent',
      reportingInstance: 'node-a',
      firstTimestamp: '2025-01-01T00:00:00Z',
      lastTimestamp: '2025-01-01T00:00:00Z',
      count: 1,
    });
  });

  it('patches the same event for an identical occurrence within 10 minutes: count and lastTimestamp', () => {
    const first = written(correlator.correlate(occurrence('m')));
    clock.advance(9 * MINUTE);
    const second = written(correlator.correlate(occurrence('m')));
    clock.advance(9 * MINUTE); // 18 minutes after the first, 9 after the last: still one series
    const third = written(correlator.correlate(occurrence('m')));
    expect([second.kind, third.kind]).to.deep.equal(['patch', 'patch']);
    expect(third.event.metadata.name).to.equal(first.event.metadata.name);
    expect(third.event.count).to.equal(3);
    expect(third.event.firstTimestamp).to.equal('2025-01-01T00:00:00Z');
    expect(third.event.lastTimestamp).to.equal('2025-01-01T00:18:00Z');
    expect(third.key).to.equal(first.key);
  });

  it('creates a new event when the identical one was last seen more than 10 minutes ago', () => {
    const first = written(correlator.correlate(occurrence('m')));
    clock.advance(10 * MINUTE + 1);
    const again = written(correlator.correlate(occurrence('m')));
    expect(again.kind).to.equal('create');
    expect(again.event.count).to.equal(1);
    expect(again.event.metadata.name).not.to.equal(first.event.metadata.name);
  });

  it('keeps events apart that differ in object (uid too), type or reason', () => {
    const base = written(correlator.correlate(occurrence('m')));
    const others = [
      occurrence('m', { involvedObject: egress('other') }),
      occurrence('m', { involvedObject: egress('pay', 'uid-recreated') }),
      occurrence('m', { type: 'Warning' }),
      occurrence('m', { reason: 'GatewayAssigned' }),
    ].map((o) => written(correlator.correlate(o)));
    expect(others.map((w) => w.kind)).to.deep.equal(['create', 'create', 'create', 'create']);
    expect(new Set([base, ...others].map((w) => w.event.metadata.name)).size).to.equal(5);
  });

  it('writes 10 distinct similar messages on their own, then combines the rest into one event', () => {
    const writes = Array.from({ length: 10 }, (_, i) => written(correlator.correlate(occurrence(`m${i}`))));
    expect(writes.map((w) => [w.kind, w.event.message])).to.deep.equal(
      Array.from({ length: 10 }, (_, i) => ['create', `m${i}`]),
    );
    const eleventh = written(correlator.correlate(occurrence('m10')));
    expect(eleventh.kind).to.equal('create');
    expect(eleventh.event.message).to.equal(`${COMBINED_MESSAGE_PREFIX}m10`);
    const twelfth = written(correlator.correlate(occurrence('m11')));
    expect(twelfth.kind).to.equal('patch');
    expect(twelfth.event.metadata.name).to.equal(eleventh.event.metadata.name);
    expect(twelfth.event.message).to.equal(`${COMBINED_MESSAGE_PREFIX}m11`);
    expect(twelfth.event.count).to.equal(2);
    // Within the series, even a message seen before goes to the combined event.
    const repeat = written(correlator.correlate(occurrence('m0')));
    expect([repeat.kind, repeat.event.count, repeat.event.message]).to.deep.equal([
      'patch',
      3,
      `${COMBINED_MESSAGE_PREFIX}m0`,
    ]);
  });

  it('starts a new similar series after 10 minutes without a similar occurrence', () => {
    for (let i = 0; i < 11; i++) correlator.correlate(occurrence(`m${i}`));
    clock.advance(10 * MINUTE + 1);
    const fresh = written(correlator.correlate(occurrence('m-new')));
    expect([fresh.kind, fresh.event.message]).to.deep.equal(['create', 'm-new']);
  });

  it('counts similar messages per object, type and reason', () => {
    for (let i = 0; i < 10; i++) correlator.correlate(occurrence(`m${i}`));
    const otherReason = written(correlator.correlate(occurrence('m10', { reason: 'GatewayAssigned' })));
    const otherObject = written(correlator.correlate(occurrence('m10', { involvedObject: egress('other') })));
    expect([otherReason.event.message, otherObject.event.message]).to.deep.equal(['m10', 'm10']);
  });

  it('lets 25 occurrences per object through at once, then one per 5 minutes', () => {
    const kinds = Array.from({ length: 26 }, (_, i) => correlator.correlate(occurrence(`m${i % 3}`)).kind);
    expect(kinds.slice(0, 25)).not.to.include('rateLimited');
    expect(kinds[25]).to.equal('rateLimited');
    // Another object has its own bucket.
    expect(correlator.correlate(occurrence('m', { involvedObject: egress('other') })).kind).to.equal(
      'create',
    );
    clock.advance(5 * MINUTE - 1);
    expect(correlator.correlate(occurrence('m0')).kind).to.equal('rateLimited');
    clock.advance(1);
    expect(correlator.correlate(occurrence('m0')).kind).to.equal('patch');
    expect(correlator.correlate(occurrence('m0')).kind).to.equal('rateLimited');
  });

  it('leaves no count behind for a rate-limited occurrence', () => {
    const limited = withOptions({ spam: { burst: 2, refillMs: MINUTE } });
    limited.correlate(occurrence('m'));
    limited.correlate(occurrence('m'));
    expect(limited.correlate(occurrence('m')).kind).to.equal('rateLimited');
    clock.advance(MINUTE);
    expect(written(limited.correlate(occurrence('m'))).event.count).to.equal(3);
  });

  it('creates anew after a failed write instead of patching an event that may not exist', () => {
    const first = written(correlator.correlate(occurrence('m')));
    correlator.writeFailed(first.key);
    const retry = written(correlator.correlate(occurrence('m')));
    expect([retry.kind, retry.event.count]).to.deep.equal(['create', 1]);
  });

  it('names events uniquely within one millisecond, and within 253 characters', () => {
    const long = 'x'.repeat(253);
    const names = ['a', 'b', 'c'].map(
      (reason) =>
        written(correlator.correlate(occurrence('m', { reason, involvedObject: egress(long) }))).event
          .metadata.name,
    );
    expect(new Set(names).size).to.equal(3);
    for (const name of names) expect(name.length).to.be.at.most(253);
  });

  it('forgets the least recently used keys beyond its cache size', () => {
    const small = withOptions({ cacheSize: 2 });
    written(small.correlate(occurrence('a')));
    written(small.correlate(occurrence('b')));
    written(small.correlate(occurrence('c'))); // pushes "a" out
    expect(small.correlate(occurrence('c')).kind).to.equal('patch');
    expect(small.correlate(occurrence('a')).kind).to.equal('create');
  });

  it('shortens messages to 1,024 characters', () => {
    const write = written(correlator.correlate(occurrence('m'.repeat(2_000))));
    expect(write.event.message).to.have.length(1_024);
  });
});

describe('LruMap', () => {
  it('evicts the least recently used key, where get counts as use', () => {
    const map = new LruMap<string, number>(2);
    map.set('a', 1);
    map.set('b', 2);
    expect(map.get('a')).to.equal(1);
    map.set('c', 3);
    expect([map.get('a'), map.get('b'), map.get('c'), map.size]).to.deep.equal([1, undefined, 3, 2]);
  });
});

describe('TokenBucket', () => {
  it('starts full, refills one token per interval and never beyond its burst', () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket({ burst: 2, refillMs: 1_000 }, clock);
    expect([bucket.tryTake(), bucket.tryTake(), bucket.tryTake()]).to.deep.equal([true, true, false]);
    clock.advance(500);
    expect(bucket.tryTake()).to.equal(false);
    clock.advance(500);
    expect(bucket.tryTake()).to.equal(true);
    clock.advance(10_000);
    expect([bucket.tryTake(), bucket.tryTake(), bucket.tryTake()]).to.deep.equal([true, true, false]);
  });
});
