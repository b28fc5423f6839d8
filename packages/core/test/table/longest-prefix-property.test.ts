// Property: a lookup in the compiled longest-prefix table equals the first-match walk of the table it came
// from, for thousands of random tables and hundreds of thousands of packets; and the compiled form keeps its
// promises (sorted, one entry per key, nothing inside a cluster destination, no entry that changes nothing).
// Each case has its own seed, named in a failure, so `randomRawTable(new Prng(seed))` replays it.
import { expect } from 'chai';
import { compileLongestPrefixTable } from '../../src/table/longest-prefix/compile-longest-prefix-table.js';
import { LongestPrefixLookup } from '../../src/table/longest-prefix/lookup-longest-prefix.js';
import type {
  LongestPrefixTable,
  LongestPrefixVerdict,
} from '../../src/table/longest-prefix/longest-prefix-table.js';
import type { NodeEgressTable } from '../../src/table/node-egress-table.js';
import { FirstMatchWalk } from '../support/first-match-walk.js';
import {
  Prng,
  randomModelTables,
  randomPackets,
  randomRawTable,
  rangeOf,
  type Range,
} from '../support/random-egress-tables.js';

const RAW_TABLES = 2000;
const MODEL_CLUSTERS = 400;
const NODES_PER_CLUSTER = 3;
const PACKETS_PER_TABLE = 60;

/** What each run saw, so a generator that stopped producing a case fails the run instead of passing it. */
interface Seen {
  packets: number;
  verdicts: Record<string, number>;
  noRuleEntries: number;
  mergedClusterPrefixes: number;
}

const newSeen = (): Seen => ({ packets: 0, verdicts: {}, noRuleEntries: 0, mergedClusterPrefixes: 0 });

function checkCase(table: NodeEgressTable, seed: number, seen: Seen): void {
  const compiled = compileLongestPrefixTable(table);
  const where = `seed ${seed}, node ${table.node}`;
  checkForm(compiled, where);
  // Plain data: nothing that JSON drops or cannot write (checked on a tenth of the cases, it is slow).
  if (seed % 10 === 0)
    expect(JSON.parse(JSON.stringify(compiled)), `${where}: JSON round trip`).to.deep.equal(compiled);

  const lookup = new LongestPrefixLookup(compiled);
  const walk = new FirstMatchWalk(table);
  for (const [src, dst] of randomPackets(new Prng(seed ^ 0x5bd1e995), table, PACKETS_PER_TABLE)) {
    const expected = walk.decide(src, dst);
    const actual = lookup.lookup(src, dst);
    if (verdictText(actual) !== verdictText(expected)) {
      expect(
        actual,
        `${where}: ${src} → ${dst}\ntable ${JSON.stringify(table)}\ncompiled ${JSON.stringify(compiled)}`,
      ).to.deep.equal(expected);
    }
    const kind = expected.kind === 'rule' ? expected.action.kind : 'noRule';
    seen.verdicts[kind] = (seen.verdicts[kind] ?? 0) + 1;
    seen.packets++;
  }
  seen.noRuleEntries += compiled.entries.filter((entry) => entry.verdict.kind === 'noRule').length;
  if (compiled.clusterDestinations.length < new Set(table.clusterCIDRs).size) seen.mergedClusterPrefixes++;
}

/** The promises of LongestPrefixTable's doc comments, checked on each compiled table. */
function checkForm(compiled: LongestPrefixTable, where: string): void {
  // Plain checks, not one chai assertion per entry: they run on hundreds of thousands of entries.
  const fail = (what: string, detail: unknown) => expect.fail(`${where}: ${what}: ${JSON.stringify(detail)}`);
  const cluster = compiled.clusterDestinations.map(rangeOf);
  cluster.forEach((range, i) => {
    const before = cluster[i - 1];
    if (before !== undefined && compareRanges(before, range) >= 0)
      fail('cluster destinations out of order', range);
    if (cluster.some((other) => other !== range && contains(other, range)))
      fail('cluster prefixes overlap', range);
  });

  // Per source: the chain of entries around the current one, to find each entry's enclosing entry.
  let previous: { family: number; source: bigint; range: Range } | undefined;
  const around: { range: Range; verdict: LongestPrefixVerdict }[] = [];
  for (const entry of compiled.entries) {
    const range = rangeOf(entry.destination);
    const source = rangeOf(`${entry.source}/${entry.family === 4 ? 32 : 128}`);
    if (source.family !== entry.family || range.family !== entry.family) fail('families differ', entry);
    const sameSource =
      previous !== undefined && previous.family === entry.family && previous.source === source.network;
    if (previous !== undefined) {
      const order =
        previous.family - entry.family ||
        (sameSource ? compareRanges(previous.range, range) : previous.source < source.network ? -1 : 1);
      if (order >= 0) fail('entry out of order or repeated', entry);
    }
    if (!sameSource) around.length = 0;
    while (
      around.length > 0 &&
      !contains((around[around.length - 1] as (typeof around)[number]).range, range)
    ) {
      around.pop();
    }
    const enclosing: LongestPrefixVerdict = around[around.length - 1]?.verdict ?? { kind: 'noRule' };
    if (verdictText(entry.verdict) === verdictText(enclosing))
      fail('entry repeats its enclosing entry', entry);
    if (cluster.some((c) => contains(c, range))) fail('entry lies inside a cluster destination', entry);
    around.push({ range, verdict: entry.verdict });
    previous = { family: entry.family, source: source.network, range };
  }
}

function compareRanges(a: Range, b: Range): number {
  return (
    a.family - b.family || (a.network < b.network ? -1 : a.network > b.network ? 1 : a.length - b.length)
  );
}

function contains(outer: Range, inner: Range): boolean {
  const width = BigInt(outer.family === 4 ? 32 : 128);
  const shift = width - BigInt(outer.length);
  return (
    outer.family === inner.family &&
    outer.length <= inner.length &&
    outer.network >> shift === inner.network >> shift
  );
}

function verdictText(verdict: LongestPrefixVerdict): string {
  return verdict.kind === 'noRule'
    ? 'noRule'
    : JSON.stringify([verdict.policy, verdict.sourceSet, verdict.action]);
}

describe('compileLongestPrefixTable equals the first-match walk', function () {
  this.timeout(30_000);

  it(`on ${RAW_TABLES} random tables in any rule order`, () => {
    const seen = newSeen();
    for (let i = 0; i < RAW_TABLES; i++) {
      const seed = 1_000_000 + i;
      checkCase(randomRawTable(new Prng(seed)), seed, seen);
    }
    expect(seen.packets).to.be.greaterThan(RAW_TABLES * PACKETS_PER_TABLE - 1);
    for (const kind of ['snat', 'steer', 'drop', 'bypass', 'noRule'])
      expect(seen.verdicts[kind] ?? 0, kind).to.be.greaterThan(seen.packets / 50);
    expect(seen.noRuleEntries, 'exclusions carved out of a rule').to.be.greaterThan(RAW_TABLES / 10);
    expect(seen.mergedClusterPrefixes, 'tables whose cluster prefixes merged').to.be.greaterThan(
      RAW_TABLES / 20,
    );
  });

  it(`on the ${MODEL_CLUSTERS * NODES_PER_CLUSTER} node tables of ${MODEL_CLUSTERS} random dual-stack clusters`, () => {
    const seen = newSeen();
    let rules = 0;
    for (let i = 0; i < MODEL_CLUSTERS; i++) {
      const seed = 2_000_000 + i;
      const tables = randomModelTables(new Prng(seed));
      expect(tables).to.have.length(NODES_PER_CLUSTER);
      for (const table of tables) {
        rules += table.rules.length;
        checkCase(table, seed, seen);
      }
    }
    expect(rules / (MODEL_CLUSTERS * NODES_PER_CLUSTER), 'rules per table').to.be.greaterThan(2);
    for (const kind of ['snat', 'steer', 'drop', 'bypass', 'noRule'])
      expect(seen.verdicts[kind] ?? 0, kind).to.be.greaterThan(seen.packets / 500);
    expect(seen.noRuleEntries, 'exclusions carved out of a rule').to.be.greaterThan(MODEL_CLUSTERS / 10);
  });

  it('gives the same form whatever the order of the source sets', () => {
    for (let i = 0; i < 300; i++) {
      const table = randomRawTable(new Prng(3_000_000 + i));
      const reordered = { ...table, sourceSets: [...table.sourceSets].reverse() };
      expect(compileLongestPrefixTable(reordered), `seed ${3_000_000 + i}`).to.deep.equal(
        compileLongestPrefixTable(table),
      );
    }
  });
});
