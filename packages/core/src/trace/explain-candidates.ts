// Why each policy selecting the pod did or did not take the packet. This is commentary around the decision,
// never the decision itself: it walks the node's ordered table (the form iptables programs), and the
// policy it finds first must be the one the longest-prefix table chose, or the trace refuses to answer.
import type { EgressPolicy } from '../api/egress-policy.js';
import type { EgressModel } from '../model/egress-model.js';
import { cidrContainsIP, ipFamily, parseCidr, type Cidr } from '../net/ip.js';
import { compareStrings } from '../selectors/label-selector.js';
import type { EgressRule, NodeEgressTable } from '../table/node-egress-table.js';
import { compareRulePrecedence } from '../table/rule-precedence.js';
import type { CandidateOutcome, PrecedenceKey, TraceCandidate } from './trace-result.js';

export interface CandidateQuestion {
  model: EgressModel;
  table: NodeEgressTable;
  podKey: string;
  source: string;
  destination: string;
  /** The cluster destination containing `destination`, if any: then no policy decides. */
  clusterCidr: string | null;
  /** The policy the longest-prefix lookup chose; null when it found none. */
  decidingPolicy: string | null;
}

interface Matched {
  policy: EgressPolicy;
  rule: EgressRule;
  destination: Cidr;
  /** Position in the table: earlier rules are tried first. */
  index: number;
}

type Examined =
  | { kind: 'matched'; matched: Matched }
  | { kind: 'excluded'; policy: EgressPolicy; destination: Cidr; cidr: string }
  | { kind: 'destinationNotCovered'; policy: EgressPolicy }
  | { kind: 'noEgressIPOfFamily'; policy: EgressPolicy };

export function explainCandidates(question: CandidateQuestion): TraceCandidate[] {
  const examined = examinePolicies(question);
  const matched = examined
    .flatMap((e) => (e.kind === 'matched' ? [e.matched] : []))
    .sort((a, b) => a.index - b.index);
  const winner = question.clusterCidr === null ? (matched[0] ?? null) : null;
  if ((winner?.policy.name ?? null) !== question.decidingPolicy)
    throw new Error(
      `trace: the ordered table picks ${winner?.policy.name ?? 'no policy'} but the longest-prefix table ` +
        `${question.decidingPolicy ?? 'none'} for ${question.source} → ${question.destination}; please report this`,
    );

  const rank = (e: Examined): number => (e.kind === 'matched' ? e.matched.index : Infinity);
  return examined
    .sort((a, b) => rank(a) - rank(b) || compareStrings(policyOf(a).name, policyOf(b).name))
    .map((e) => candidate(e, winner, question.clusterCidr !== null));
}

function examinePolicies(question: CandidateQuestion): Examined[] {
  const { model, table, source, destination } = question;
  const family = ipFamily(destination);
  const setsOfSource = new Set(
    table.sourceSets.filter((set) => set.addresses.includes(source)).map((set) => set.id),
  );
  const rulesByPolicy = new Map<string, { rule: EgressRule; index: number }[]>();
  table.rules.forEach((rule, index) => {
    if (!setsOfSource.has(rule.sourceSet)) return;
    const list = rulesByPolicy.get(rule.policy) ?? [];
    list.push({ rule, index });
    rulesByPolicy.set(rule.policy, list);
  });

  return model.tracker.policiesSelecting(question.podKey).map((name): Examined => {
    const policy = model.acceptedPolicy(name);
    if (policy === undefined) throw new Error(`trace: policy ${name} selects a pod but is not accepted`);
    const rules = rulesByPolicy.get(name) ?? [];
    // A selected pod gets rules for every family the policy has egress IPs of (build-node-table.ts).
    if (rules.length === 0) {
      if (policy.egressIPs.some((ip) => ipFamily(ip) === family))
        throw new Error(`trace: ${name} selects ${question.podKey} but has no rule for ${source}`);
      return { kind: 'noEgressIPOfFamily', policy };
    }
    // Rules of one policy are in precedence order, so the first containing the destination is the longest.
    for (const { rule, index } of rules) {
      const cidr = cidrOf(rule.destination);
      if (!cidrContainsIP(cidr, destination)) continue;
      const exclusion = rule.excludedCIDRs.find((text) => cidrContainsIP(cidrOf(text), destination));
      if (exclusion !== undefined) return { kind: 'excluded', policy, destination: cidr, cidr: exclusion };
      return { kind: 'matched', matched: { policy, rule, destination: cidr, index } };
    }
    return { kind: 'destinationNotCovered', policy };
  });
}

function candidate(examined: Examined, winner: Matched | null, clusterDestination: boolean): TraceCandidate {
  const policy = policyOf(examined);
  const base = {
    policy: policy.name,
    priority: policy.priority,
    creationTimestamp: policy.creationTimestamp,
    failurePolicy: policy.failurePolicy,
  };
  switch (examined.kind) {
    case 'matched': {
      const { matched } = examined;
      let outcome: CandidateOutcome;
      if (clusterDestination) outcome = { kind: 'clusterDestination' };
      else if (winner === null || winner === matched) outcome = { kind: 'decides' };
      else
        outcome = {
          kind: 'outranked',
          by: winner.policy.name,
          on: decidingKey(winner, matched),
          conflicted: winner.destination.text === matched.destination.text,
        };
      return { ...base, matchedDestination: matched.destination.text, outcome };
    }
    case 'excluded':
      return {
        ...base,
        matchedDestination: examined.destination.text,
        outcome: { kind: 'excluded', cidr: examined.cidr },
      };
    case 'destinationNotCovered':
    case 'noEgressIPOfFamily':
      return { ...base, matchedDestination: null, outcome: { kind: examined.kind } };
  }
}

/**
 * The first key of rule-precedence.ts on which the winner beats the loser. The order of the checks is that
 * comparator's; the assertion keeps the two from drifting apart.
 */
function decidingKey(winner: Matched, loser: Matched): PrecedenceKey {
  const ranked = (m: Matched) => ({
    policy: m.policy,
    destination: m.destination,
    sourceSet: m.rule.sourceSet,
  });
  if (compareRulePrecedence(ranked(winner), ranked(loser)) >= 0)
    throw new Error(`trace: ${winner.policy.name} is ahead of ${loser.policy.name} but does not outrank it`);
  if (winner.destination.prefixLength !== loser.destination.prefixLength) return 'prefixLength';
  if (winner.policy.priority !== loser.policy.priority) return 'priority';
  if (winner.policy.creationTimestamp !== loser.policy.creationTimestamp) return 'creationTimestamp';
  return 'name';
}

function policyOf(examined: Examined): EgressPolicy {
  return examined.kind === 'matched' ? examined.matched.policy : examined.policy;
}

function cidrOf(text: string): Cidr {
  const parsed = parseCidr(text);
  if ('error' in parsed) throw new Error(`trace: the table holds an invalid CIDR ${text}`);
  return parsed.cidr;
}
