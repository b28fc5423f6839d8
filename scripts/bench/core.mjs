// Core benchmark (issue 2): a generated cluster of 5,000 nodes, 150,000 pods and 2,000 policies.
// Measures cold model build + one node's table, the tables of all gateway nodes, one pod event applied
// incrementally (median / p99), and heap. Baseline in the same run: the naive way of handling a pod
// event, matching the pod against every policy's selectors without the namespace index. Then (issue 10)
// the gateway tables compiled into longest-prefix form, against building those tables in the same passes.
import { performance } from 'node:perf_hooks';
import {
  EgressModel,
  buildNodeEgressTable,
  compileLabelSelector,
  compileLongestPrefixTable,
} from '@egress-proxier/core';

const NODES = 5000;
const GATEWAYS = 10;
const PODS = 150_000;
const POLICIES = 2000;
const NAMESPACES = 1000;
const EVENTS = 5000;
const COMPILE_RUNS = 7;

const ms = (start) => performance.now() - start;
const quantile = (values, q) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(q * values.length))];
const heapMB = () => {
  globalThis.gc?.();
  return process.memoryUsage().heapUsed / 2 ** 20;
};

function nodeObject(i) {
  const labels = i < GATEWAYS ? { 'egress.proxier.io/gateway': 'true' } : {};
  return {
    name: `node-${i}`,
    labels,
    ready: true,
    internalIPs: [`100.64.${i >> 8}.${i & 0xff}`],
    podCIDRs: [`10.${64 + (i >> 8)}.${i & 0xff}.0/24`],
  };
}

function podObject(i, app = `app-${i % 40}`) {
  const node = i % NODES;
  const slot = Math.floor(i / NODES) + 2;
  return {
    namespace: `ns-${i % NAMESPACES}`,
    name: `pod-${i}`,
    labels: { app, tier: i % 3 === 0 ? 'db' : 'web' },
    nodeName: `node-${node}`,
    hostNetwork: false,
    phase: 'Running',
    podIPs: [`10.${64 + (node >> 8)}.${node & 0xff}.${slot}`],
  };
}

function policyObject(i) {
  const spec = {
    namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': `ns-${i % NAMESPACES}` } },
    podSelector: {
      matchExpressions: [{ key: 'app', operator: 'In', values: [`app-${i % 40}`, `app-${(i + 1) % 40}`] }],
    },
    egressIPs: [`192.0.${2 + (i >> 8)}.${i & 0xff}`].map((ip) =>
      ip.replace(/^192\.0\.(\d+)/, (_, b) => `198.18.${b}`),
    ),
  };
  if (i % 5 === 0) spec.destinationCIDRs = ['203.0.113.0/24', '198.51.100.0/24'];
  if (i % 7 === 0) spec.egressIPs.push(`198.19.${i >> 8}.${i & 0xff}`);
  return {
    apiVersion: 'egress.proxier.io/v1alpha1',
    kind: 'Egress',
    metadata: { name: `policy-${i}`, creationTimestamp: '2026-01-01T00:00:00Z', generation: 1 },
    spec,
  };
}

const heapBefore = heapMB();
let start = performance.now();
const model = new EgressModel({ clusterCIDRs: ['10.64.0.0/10', '10.96.0.0/12'] });
for (let i = 0; i < NODES; i++) model.upsertNode(nodeObject(i));
for (let i = 0; i < NAMESPACES; i++)
  model.upsertNamespace({ name: `ns-${i}`, labels: { 'kubernetes.io/metadata.name': `ns-${i}` } });
for (let i = 0; i < POLICIES; i++) model.upsertEgress(policyObject(i));
for (let i = 0; i < PODS; i++) model.upsertPod(podObject(i));
const ingestMs = ms(start);

start = performance.now();
const workerTable = buildNodeEgressTable(model, `node-${NODES - 1}`);
const coldOneNodeMs = ingestMs + ms(start);
const oneNodeTableMs = ms(start);

start = performance.now();
let gatewaySources = 0;
let gatewayRules = 0;
for (let g = 0; g < GATEWAYS; g++) {
  const table = buildNodeEgressTable(model, `node-${g}`);
  gatewaySources += table.sourceSets.reduce((n, s) => n + s.addresses.length, 0);
  gatewayRules += table.rules.length;
}
const allGatewaysMs = ms(start);
const heapAfter = heapMB();

// Incremental: flip a pod's app label (moves it between policies), then rebuild its node's table.
const eventTimes = [];
const eventPlusTableTimes = [];
for (let e = 0; e < EVENTS; e++) {
  const i = (e * 7919) % PODS;
  const pod = podObject(i, `app-${(i + e) % 40}`);
  start = performance.now();
  model.upsertPod(pod);
  eventTimes.push(ms(start));
  buildNodeEgressTable(model, pod.nodeName);
  eventPlusTableTimes.push(ms(start));
}

// Baseline: the same events matched naively against every policy's selectors.
const naivePolicies = Array.from({ length: POLICIES }, (_, i) => {
  const spec = policyObject(i).spec;
  return { ns: compileLabelSelector(spec.namespaceSelector), pod: compileLabelSelector(spec.podSelector) };
});
const naiveTimes = [];
for (let e = 0; e < EVENTS; e++) {
  const pod = podObject((e * 7919) % PODS, `app-${e % 40}`);
  const nsLabels = { 'kubernetes.io/metadata.name': pod.namespace };
  start = performance.now();
  const matched = naivePolicies.filter((p) => p.ns.matches(nsLabels) && p.pod.matches(pod.labels));
  naiveTimes.push(ms(start));
  if (matched.length > POLICIES) throw new Error('unreachable');
}

// Longest-prefix form: each pass builds the 10 gateway tables (the baseline) and compiles them; medians.
const buildRuns = [];
const compileRuns = [];
let compiled = [];
let gatewayTables = [];
for (let run = 0; run < COMPILE_RUNS; run++) {
  start = performance.now();
  gatewayTables = Array.from({ length: GATEWAYS }, (_, g) => buildNodeEgressTable(model, `node-${g}`));
  buildRuns.push(ms(start));
  start = performance.now();
  compiled = gatewayTables.map(compileLongestPrefixTable);
  compileRuns.push(ms(start));
}
const lpmEntries = compiled.reduce((n, t) => n + t.entries.length, 0);
const lpmSources = compiled.reduce((n, t) => n + new Set(t.entries.map((e) => e.source)).size, 0);
// Sources whose entries are identical could share them (a source → class map in front of a {class,
// destination} trie): how many distinct entry lists there are, per gateway, summed.
const distinctLists = (tables) =>
  tables.reduce((n, t) => {
    const lists = new Map();
    for (const e of t.entries)
      lists.set(e.source, `${lists.get(e.source) ?? ''}|${e.destination} ${JSON.stringify(e.verdict)}`);
    return n + new Set(lists.values()).size;
  }, 0);
const noRuleEntries = (tables) =>
  tables.reduce((n, t) => n + t.entries.filter((e) => e.verdict.kind === 'noRule').length, 0);

// The cluster's policies have no excludedCIDRs, so a variant of the same tables gives every rule three
// (one of them inside the /24 destinations): what exclusions cost in entries and compile time.
const EXCLUDED = ['192.0.2.0/24', '198.51.100.0/25', '203.0.113.128/25'];
const excludingTables = gatewayTables.map((t) => ({
  ...t,
  rules: t.rules.map((rule) => ({ ...rule, excludedCIDRs: rule.family === 4 ? EXCLUDED : [] })),
}));
const excludingRuns = [];
let excludingCompiled = [];
for (let run = 0; run < COMPILE_RUNS; run++) {
  start = performance.now();
  excludingCompiled = excludingTables.map(compileLongestPrefixTable);
  excludingRuns.push(ms(start));
}

const figures = {
  nodes: NODES,
  pods: PODS,
  policies: POLICIES,
  ingestMs: +ingestMs.toFixed(1),
  coldOneNodeMs: +coldOneNodeMs.toFixed(1),
  oneNodeTableMs: +oneNodeTableMs.toFixed(2),
  oneNodeRules: workerTable.rules.length,
  allGatewayTablesMs: +allGatewaysMs.toFixed(1),
  gatewaySourceEntries: gatewaySources,
  gatewayRules,
  podEventMedianMs: +quantile(eventTimes, 0.5).toFixed(4),
  podEventP99Ms: +quantile(eventTimes, 0.99).toFixed(4),
  podEventPlusNodeTableP99Ms: +quantile(eventPlusTableTimes, 0.99).toFixed(4),
  naivePodEventMedianMs: +quantile(naiveTimes, 0.5).toFixed(4),
  naivePodEventP99Ms: +quantile(naiveTimes, 0.99).toFixed(4),
  naiveOverIncrementalMedian: +(quantile(naiveTimes, 0.5) / quantile(eventTimes, 0.5)).toFixed(1),
  heapUsedMB: +(heapAfter - heapBefore).toFixed(1),
  heapTotalUsedMB: +heapAfter.toFixed(1),
  gatewayTablesBuildMedianMs: +quantile(buildRuns, 0.5).toFixed(1),
  lpmCompileGatewaysMedianMs: +quantile(compileRuns, 0.5).toFixed(1),
  lpmCompileOverBuild: +(quantile(compileRuns, 0.5) / quantile(buildRuns, 0.5)).toFixed(2),
  lpmEntries,
  lpmSources,
  lpmNoRuleEntries: noRuleEntries(compiled),
  lpmDistinctEntryLists: distinctLists(compiled),
  lpmMaxEntriesOneGateway: Math.max(...compiled.map((t) => t.entries.length)),
  lpmClusterCIDRsPerTable: gatewayTables[0].clusterCIDRs.length,
  lpmClusterDestinationsPerTable: compiled[0].clusterDestinations.length,
  lpmExcl3CompileMedianMs: +quantile(excludingRuns, 0.5).toFixed(1),
  lpmExcl3Entries: excludingCompiled.reduce((n, t) => n + t.entries.length, 0),
  lpmExcl3NoRuleEntries: noRuleEntries(excludingCompiled),
  lpmExcl3DistinctEntryLists: distinctLists(excludingCompiled),
};

const targets = { coldOneNodeMs: 1000, allGatewayTablesMs: 1000, podEventP99Ms: 2, heapTotalUsedMB: 300 };
console.log('core: 5,000 nodes, 150,000 pods, 2,000 policies');
for (const [key, value] of Object.entries(figures)) {
  const target =
    targets[key] === undefined
      ? ''
      : `  (target ≤ ${targets[key]}${value <= targets[key] ? ', met' : ', MISSED'})`;
  console.log(`  ${key.padEnd(30)} ${String(value).padStart(12)}${target}`);
}
console.log(`BENCH_JSON ${JSON.stringify({ bench: 'core', ...figures })}`);
