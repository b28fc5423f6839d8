// Core benchmark (issue 2): a generated cluster of 5,000 nodes, 150,000 pods and 2,000 policies.
// Measures cold model build + one node's table, the tables of all gateway nodes, one pod event applied
// incrementally (median / p99), and heap. Baseline in the same run: the naive way of handling a pod
// event, matching the pod against every policy's selectors without the namespace index.
import { performance } from 'node:perf_hooks';
import { EgressModel, buildNodeEgressTable, compileLabelSelector } from '@egress-proxier/core';

const NODES = 5000;
const GATEWAYS = 10;
const PODS = 150_000;
const POLICIES = 2000;
const NAMESPACES = 1000;
const EVENTS = 5000;

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
