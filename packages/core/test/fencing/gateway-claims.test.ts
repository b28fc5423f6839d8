// The hand-over protocol's decisions as data: who hosts an IP, where the others steer, what is claimed.
// Each case describes the claim book as the lease watch delivered it (in order, or from a list), the
// owners the model computes and what this node hosts; the runner checks the decisions.
import { expect } from 'chai';
import { ClaimBook } from '../../src/fencing/claim-book.js';
import { GatewayClaims, type ClaimDecisions } from '../../src/fencing/gateway-claims.js';
import { gatewayState } from '../../src/fencing/gateway-state.js';

const X = '192.0.2.10';
const Y = '192.0.2.20';

interface Observation {
  node: string;
  claimed?: string[];
  ready?: string[];
  /** false: delivered in a list (no known order). */
  ordered?: boolean;
  /** The lease's resourceVersion; defaults to a fresh one. */
  rv?: string;
}

interface Case {
  name: string;
  owners: Record<string, string | null>;
  /** In the order the watch delivered them. */
  book: Observation[];
  /** A write of this node's current claims has come back through the watch (default: true). */
  selfClaimsSeen?: boolean;
  hosting?: string[];
  selfLive?: boolean;
  now?: number;
  /** Lease expiry per node as this agent sees it (default: 10_000 for every node). */
  expiry?: Record<string, number>;
  expect: Partial<Pick<ClaimDecisions, 'hosted' | 'claims' | 'draining'>> & {
    steerTo?: Record<string, string | null>;
    waiting?: Record<string, string>;
    nextChangeAt?: number;
  };
}

const cases: Case[] = [
  {
    name: 'the owner claims first, and hosts only once its own claim has come back',
    owners: { [X]: 'self' },
    book: [{ node: 'self' }],
    expect: { hosted: [], claims: [X], waiting: { [X]: 'self' } },
  },
  {
    name: 'its claim came back and nobody else claims: it hosts',
    owners: { [X]: 'self' },
    book: [{ node: 'self', claimed: [X] }],
    expect: { hosted: [X], claims: [X], waiting: {} },
  },
  {
    name: 'a claim seen only in a write from before the claims last changed does not count',
    owners: { [X]: 'self' },
    book: [{ node: 'self', claimed: [X], rv: '5' }],
    selfClaimsSeen: false,
    expect: { hosted: [], waiting: { [X]: 'self' } },
  },
  {
    name: 'another live node claimed first (earlier in the watch): wait for it',
    owners: { [X]: 'self' },
    book: [
      { node: 'b', claimed: [X] },
      { node: 'self', claimed: [X] },
    ],
    expect: { hosted: [], waiting: { [X]: 'b' }, nextChangeAt: 10_500 },
  },
  {
    name: 'another node claimed after us: it saw our claim and waits, we host',
    owners: { [X]: 'self' },
    book: [
      { node: 'self', claimed: [X] },
      { node: 'b', claimed: [X] },
    ],
    expect: { hosted: [X], waiting: {} },
  },
  {
    name: 'claims that arrived in a list have no order: wait',
    owners: { [X]: 'self' },
    book: [
      { node: 'self', claimed: [X], ordered: false },
      { node: 'b', claimed: [X], ordered: false },
    ],
    expect: { hosted: [], waiting: { [X]: 'b' } },
  },
  {
    name: 'a crashed holder’s claim counts until its lease expired plus the margin',
    owners: { [X]: 'self' },
    book: [
      { node: 'b', claimed: [X], ready: [X] },
      { node: 'self', claimed: [X] },
    ],
    now: 3_499,
    expiry: { b: 3_000 },
    expect: { hosted: [], waiting: { [X]: 'b' }, nextChangeAt: 3_500 },
  },
  {
    name: '… and not after',
    owners: { [X]: 'self' },
    book: [
      { node: 'b', claimed: [X], ready: [X] },
      { node: 'self', claimed: [X] },
    ],
    now: 3_500,
    expiry: { b: 3_000 },
    expect: { hosted: [X], waiting: {} },
  },
  {
    name: 'a node never seen alive (no lease observed) blocks nothing',
    owners: { [X]: 'self' },
    book: [
      { node: 'b', claimed: [X] },
      { node: 'self', claimed: [X] },
    ],
    expiry: { b: Number.NaN },
    expect: { hosted: [X] },
  },
  {
    name: 'an unreadable gateway state claims everything while its node is live',
    owners: { [X]: 'self', [Y]: 'self' },
    book: [
      { node: 'b', claimed: ['unreadable'] },
      { node: 'self', claimed: [X, Y] },
    ],
    expect: { hosted: [], waiting: { [X]: 'b', [Y]: 'b' } },
  },
  {
    name: 'an owner that already hosts keeps hosting whatever else is claimed',
    owners: { [X]: 'self' },
    book: [
      { node: 'b', claimed: [X] },
      { node: 'self', claimed: [X] },
    ],
    hosting: [X],
    expect: { hosted: [X], claims: [X] },
  },
  {
    name: 'an IP that moved away is drained, then withdrawn; its claim stays while it is hosted',
    owners: { [X]: 'b' },
    book: [
      { node: 'self', claimed: [X], ready: [X] },
      { node: 'b', claimed: [X] },
    ],
    hosting: [X],
    expect: { hosted: [X], draining: [X], claims: [X], nextChangeAt: 1_500 },
  },
  {
    name: 'a fenced node withdraws at once, without a drain',
    owners: { [X]: 'b' },
    book: [{ node: 'self', claimed: [X], ready: [X] }],
    hosting: [X],
    selfLive: false,
    expect: { hosted: [], draining: [], claims: [X], steerTo: { [X]: null } },
  },
  {
    name: 'an IP no policy uses any more is withdrawn at once; its claim goes after the sync',
    owners: {},
    book: [{ node: 'self', claimed: [X], ready: [X] }],
    hosting: [X],
    expect: { hosted: [], claims: [X] },
  },
  {
    name: 'a source node steers only to a gateway that lists the IP as ready',
    owners: { [X]: 'b', [Y]: 'c' },
    book: [
      { node: 'b', claimed: [X] },
      { node: 'c', claimed: [Y], ready: [Y] },
    ],
    expect: { hosted: [], claims: [], steerTo: { [X]: null, [Y]: 'c' } },
  },
  {
    name: 'no live gateway and nobody still hosting it: held',
    owners: { [X]: null },
    book: [{ node: 'b', claimed: [X], ready: [X] }],
    expiry: { b: 500 },
    expect: { steerTo: { [X]: null } },
  },
  {
    name: 'a planned move: sources steer to the draining holder until the new owner is ready',
    owners: { [X]: 'c' },
    book: [
      { node: 'b', claimed: [X], ready: [X] },
      { node: 'c', claimed: [X] },
    ],
    expect: { steerTo: { [X]: 'b' } },
  },
  {
    name: 'the new owner, waiting for the holder to withdraw, steers its own pods to it meanwhile',
    owners: { [X]: 'self' },
    book: [
      { node: 'b', claimed: [X], ready: [X] },
      { node: 'self', claimed: [X] },
    ],
    expect: { hosted: [], waiting: { [X]: 'b' }, steerTo: { [X]: 'b' } },
  },
  {
    name: 'a holder whose lease has expired is not steered to, though it still lists the IP as ready',
    owners: { [X]: 'c' },
    book: [
      { node: 'b', claimed: [X], ready: [X] },
      { node: 'c', claimed: [X] },
    ],
    expiry: { b: 500 },
    expect: { steerTo: { [X]: null } },
  },
  {
    name: 'two nodes list it as ready in a lagging view: sources steer to the later claim',
    owners: { [X]: 'd' },
    book: [
      { node: 'b', claimed: [X], ready: [X] },
      { node: 'c', claimed: [X], ready: [X] },
    ],
    expect: { steerTo: { [X]: 'c' } },
  },
];

function decide(c: Case): ClaimDecisions {
  const book = new ClaimBook();
  let rv = 0;
  for (const observation of c.book) {
    const state =
      observation.claimed?.[0] === 'unreadable'
        ? { claimed: [], ready: [], unreadable: true as const }
        : gatewayState(observation.claimed ?? [], observation.ready ?? []);
    book.observe(observation.node, state, observation.rv ?? String(++rv), observation.ordered ?? true);
  }
  return new GatewayClaims().decide({
    self: 'self',
    now: c.now ?? 1_000,
    owners: new Map(Object.entries(c.owners)),
    selfLive: c.selfLive ?? true,
    book,
    selfClaimsSeen: c.selfClaimsSeen ?? true,
    expiryOf: (node) => {
      const expiry = c.expiry?.[node] ?? 10_000;
      return Number.isNaN(expiry) ? undefined : expiry;
    },
    hosting: new Set(c.hosting ?? []),
    handoverMarginMs: 500,
    drainMs: 500,
  });
}

describe('GatewayClaims', () => {
  for (const c of cases) {
    it(c.name, () => {
      const decisions = decide(c);
      const { steerTo, waiting, ...rest } = c.expect;
      for (const [key, value] of Object.entries(rest))
        expect(decisions[key as keyof typeof rest], key).to.deep.equal(value);
      if (steerTo) expect(Object.fromEntries(decisions.steerTo), 'steerTo').to.deep.equal(steerTo);
      if (waiting) expect(Object.fromEntries(decisions.waiting), 'waiting').to.deep.equal(waiting);
    });
  }

  it('ends a drain once, at the time it was started for', () => {
    const claims = new GatewayClaims();
    const book = new ClaimBook();
    book.observe('self', gatewayState([X], [X]), '1', true);
    const input = (now: number) => ({
      self: 'self',
      now,
      owners: new Map([[X, 'b']]),
      selfLive: true,
      book,
      selfClaimsSeen: true,
      expiryOf: () => 10_000,
      hosting: new Set([X]),
      handoverMarginMs: 500,
      drainMs: 500,
    });
    expect(claims.decide(input(1_000)).hosted).to.deep.equal([X]);
    expect(claims.decide(input(1_400)).nextChangeAt).to.equal(1_500);
    expect(claims.decide(input(1_500)).hosted).to.deep.equal([]);
    expect(claims.decide(input(1_500)).steerTo.get(X)).to.equal(null);
  });
});
