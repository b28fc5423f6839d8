// Embedding egress-proxier's core in your own program: feed the model cluster objects from any source (here,
// literals; in your program, your own inventory or another API) and ask for one node's egress table — what a
// backend would program on that node — and its longest-prefix form. Imports only the core's library entry.
//
//   node examples/embedding/print-node-table.mjs [NODE]     (after `npm ci && npm run build`)
import { EgressModel, buildNodeEgressTable, compileLongestPrefixTable } from '@egress-proxier/core';

const node = process.argv[2] ?? 'node-1';

// Heartbeat liveness is the agent's business; an embedder says which nodes are up (here: all of them).
const model = new EgressModel({ clusterCIDRs: ['10.244.0.0/16', '10.96.0.0/12'], liveness: { isLive: () => true } });

for (const [index, name] of ['node-1', 'node-2'].entries())
  model.upsertNode({
    name,
    labels: name === 'node-2' ? { 'egress.proxier.io/gateway': 'true' } : {},
    ready: true,
    internalIPs: [`198.51.100.${index + 11}`],
    podCIDRs: [`10.244.${index + 1}.0/24`],
  });
model.upsertNamespace({ name: 'shop', labels: { 'kubernetes.io/metadata.name': 'shop' } });
for (const [name, nodeName, ip] of [
  ['checkout-1', 'node-1', '10.244.1.5'],
  ['checkout-2', 'node-2', '10.244.2.7'],
])
  model.upsertPod({
    namespace: 'shop',
    name,
    labels: { app: 'checkout' },
    nodeName,
    hostNetwork: false,
    phase: 'Running',
    podIPs: [ip],
  });

const validation = model.upsertEgress({
  apiVersion: 'egress.proxier.io/v1alpha1',
  kind: 'Egress',
  metadata: { name: 'checkout-to-payments', creationTimestamp: '2026-01-01T00:00:00Z', generation: 1 },
  spec: {
    namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'shop' } },
    podSelector: { matchLabels: { app: 'checkout' } },
    egressIPs: ['192.0.2.100'],
    destinationCIDRs: ['203.0.113.0/24'],
    excludedCIDRs: ['203.0.113.128/25'],
  },
});
if (!validation.ok) throw new Error(`the example Egress is invalid: ${JSON.stringify(validation.problems)}`);

const table = buildNodeEgressTable(model, node);
const pods = new Map(table.sourceSets.map((set) => [set.id, set.addresses]));
console.log(`egress table of ${table.node}: ${table.rules.length} rule(s), ${table.hostedEgressIPs.length} hosted egress IP(s)`);
for (const hosted of table.hostedEgressIPs) console.log(`  hosts ${hosted.ip}`);
for (const rule of table.rules) {
  const action = rule.action.kind === 'steer' ? `steer to ${rule.action.gateway.node} for ${rule.action.egressIP}` : rule.action.kind === 'snat' ? `snat to ${rule.action.egressIP}` : rule.action.kind;
  const except = rule.excludedCIDRs.length > 0 ? ` except ${rule.excludedCIDRs.join(', ')}` : '';
  console.log(`  ${rule.policy}: ${pods.get(rule.sourceSet)?.join(', ')} → ${rule.destination}${except}: ${action}`);
}
const compiled = compileLongestPrefixTable(table);
console.log(`longest-prefix form: ${compiled.entries.length} entries`);
for (const entry of compiled.entries)
  console.log(`  ${entry.source} → ${entry.destination}: ${entry.verdict.kind === 'rule' ? entry.verdict.action.kind : 'no rule'}`);
