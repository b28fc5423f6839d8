// NodeEgressTable (ordered rules, first match wins) → LongestPrefixTable (one verdict per source and
// destination prefix, longest prefix wins). Pure and deterministic; see longest-prefix-table.ts for the lookup.
//
// Why it is exact: for one source, take every rule destination and every exclusion inside one (the set P).
// Prefixes nest or are disjoint, so for a destination D the prefixes of P containing D form a chain, and the
// deepest of them, p, fixes D's membership in every prefix of P (D is in q exactly when q contains p). The
// walk therefore decides all of p's "own" addresses (those in no deeper prefix of P) alike, and that decision
// can be computed on p itself: the first rule whose destination contains p and none of whose exclusions does.
// One entry per p with that decision is a longest-prefix table of the walk; an entry that repeats the decision
// of the prefix around it changes no lookup and is left out, which keeps exclusions from multiplying entries.
import type { IPFamily } from '../../net/ip.js';
import type { EgressAction, EgressRule, NodeEgressTable } from '../node-egress-table.js';
import type { LongestPrefixEntry, LongestPrefixTable, LongestPrefixVerdict } from './longest-prefix-table.js';
import {
  addressValue,
  collapsePrefixes,
  comparePrefixes,
  prefixContains,
  PrefixCover,
  PrefixParser,
  type Prefix,
} from './prefix.js';

/** A rule reduced to what decides a destination prefix; `key` identifies its verdict for comparisons. */
interface CompiledRule {
  destination: Prefix;
  /** Exclusions inside the destination; the others either never match it or were found to void the rule. */
  exclusions: Prefix[];
  verdict: LongestPrefixVerdict;
  key: string;
}

interface Decided {
  prefix: Prefix;
  verdict: LongestPrefixVerdict;
  key: string;
}

const NO_RULE: Decided['verdict'] = { kind: 'noRule' };
const NO_RULE_KEY = 'noRule';

/**
 * The table's addresses and CIDRs must be canonical, as `buildNodeEgressTable` makes them; a rule naming an
 * unknown source set, or one of another family, is a broken table and throws.
 */
export function compileLongestPrefixTable(table: NodeEgressTable): LongestPrefixTable {
  const parser = new PrefixParser();
  const clusterDestinations = collapsePrefixes(
    table.clusterCIDRs.map((text) => parser.parse(text)),
    parser,
  );
  const cluster = new PrefixCover(clusterDestinations);

  // Each source address's rules, in table order. Pods selected by the same policies share one list, so the
  // per-source work is done once per distinct list (a handful), not once per pod (tens of thousands).
  const sets = new Map(table.sourceSets.map((set) => [set.id, set]));
  const rules: (CompiledRule | null)[] = [];
  // The list is kept as its text ("0,3,7"), the key under which its entries are computed once.
  const rulesOfSource = new Map<string, { family: IPFamily; list: string }>();
  table.rules.forEach((rule, index) => {
    const set = sets.get(rule.sourceSet);
    if (set === undefined)
      throw new Error(`rule of ${rule.policy} names unknown source set ${rule.sourceSet}`);
    if (set.family !== rule.family)
      throw new Error(
        `rule of ${rule.policy} is IPv${rule.family}, its source set ${set.id} IPv${set.family}`,
      );
    rules.push(compileRule(rule, parser, cluster));
    for (const address of set.addresses) {
      const source = rulesOfSource.get(address);
      if (source) source.list += `,${index}`;
      else rulesOfSource.set(address, { family: set.family, list: `${index}` });
    }
  });

  const decidedByList = new Map<string, Decided[]>();
  const sources: { address: string; family: IPFamily; value: number | bigint; decided: Decided[] }[] = [];
  for (const [address, { family, list }] of rulesOfSource) {
    let decided = decidedByList.get(list);
    if (decided === undefined) {
      const live = list
        .split(',')
        .map((i) => rules[Number(i)])
        .filter((rule): rule is CompiledRule => rule != null);
      decidedByList.set(list, (decided = decideSource(live, cluster)));
    }
    if (decided.length > 0) sources.push({ address, family, value: addressValue(address, family), decided });
  }
  sources.sort((a, b) => a.family - b.family || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));

  const entries: LongestPrefixEntry[] = [];
  for (const { address, family, decided } of sources) {
    for (const { prefix, verdict } of decided) {
      entries.push({ family, source: address, destination: prefix.text, verdict });
    }
  }
  return { node: table.node, clusterDestinations: clusterDestinations.map((p) => p.text), entries };
}

/** Null for a rule that can never decide a packet: its destination is cluster-only, or excluded whole. */
function compileRule(rule: EgressRule, parser: PrefixParser, cluster: PrefixCover): CompiledRule | null {
  const destination = parser.parse(rule.destination);
  if (cluster.covers(destination)) return null;
  const exclusions: Prefix[] = [];
  for (const text of rule.excludedCIDRs) {
    const exclusion = parser.parse(text);
    if (prefixContains(exclusion, destination)) return null;
    if (prefixContains(destination, exclusion)) exclusions.push(exclusion);
  }
  const verdict: LongestPrefixVerdict = {
    kind: 'rule',
    policy: rule.policy,
    sourceSet: rule.sourceSet,
    action: rule.action,
  };
  return { destination, exclusions, verdict, key: verdictKey(rule.policy, rule.sourceSet, rule.action) };
}

/** One source's entries (see the header): every prefix of P outside the cluster, unless it repeats its parent. */
function decideSource(rules: readonly CompiledRule[], cluster: PrefixCover): Decided[] {
  const prefixes = new Map<string, Prefix>();
  for (const rule of rules) {
    for (const prefix of [rule.destination, ...rule.exclusions]) {
      // Cluster destinations are decided before any entry, so nothing inside one needs an entry.
      if (!prefixes.has(prefix.text) && !cluster.covers(prefix)) prefixes.set(prefix.text, prefix);
    }
  }
  const out: Decided[] = [];
  // Sorted order visits a prefix before the prefixes inside it, so the stack holds the chain around `prefix`.
  const around: Decided[] = [];
  for (const prefix of [...prefixes.values()].sort(comparePrefixes)) {
    while (around.length > 0 && !prefixContains((around[around.length - 1] as Decided).prefix, prefix))
      around.pop();
    const parentKey = around.length > 0 ? (around[around.length - 1] as Decided).key : NO_RULE_KEY;
    const decided = decide(rules, prefix);
    around.push(decided);
    if (decided.key !== parentKey) out.push(decided);
  }
  return out;
}

/** The walk, on a whole prefix: the first rule whose destination holds it and whose exclusions do not. */
function decide(rules: readonly CompiledRule[], prefix: Prefix): Decided {
  for (const rule of rules) {
    if (!prefixContains(rule.destination, prefix)) continue;
    if (rule.exclusions.some((exclusion) => prefixContains(exclusion, prefix))) continue;
    return { prefix, verdict: rule.verdict, key: rule.key };
  }
  return { prefix, verdict: NO_RULE, key: NO_RULE_KEY };
}

function verdictKey(policy: string, sourceSet: string, action: EgressAction): string {
  const parts: string[] = [policy, sourceSet, action.kind];
  if (action.kind === 'snat' || action.kind === 'steer') parts.push(action.egressIP);
  if (action.kind === 'steer') parts.push(action.gateway.node, action.gateway.nodeIP);
  return JSON.stringify(parts);
}
