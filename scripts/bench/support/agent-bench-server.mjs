// Child process of agent.mjs: the in-memory API server holding N pods, in its own process so that its
// memory is not counted as the agent's. Prints {"url": ...} when ready; on a line "flip <i>" on stdin it
// relabels pod i (for event latency); exits on SIGTERM.
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parse } from 'yaml';
import { startApiServer } from '../../../packages/testing/dist/src/index.js';

const pods = Number(process.argv[2] ?? 150000);
const api = await startApiServer({ historySize: 1000 });
api.store.put(
  parse(
    readFileSync(new URL('../../../deploy/crd/egress.proxier.io_egresses.yaml', import.meta.url), 'utf8'),
  ),
);
api.store.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'egress-proxier' } });
api.store.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench' } });
for (let n = 0; n < 50; n++) {
  api.store.put({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: `node-${n}`, labels: { 'egress.proxier.io/gateway': n < 3 ? 'true' : 'false' } },
    spec: { podCIDRs: [`10.${100 + Math.floor(n / 256)}.${n % 256}.0/24`] },
    status: {
      conditions: [{ type: 'Ready', status: 'True' }],
      addresses: [{ type: 'InternalIP', address: `198.51.100.${n + 1}` }],
    },
  });
}
const pod = (i, app) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: `pod-${i}`, namespace: 'bench', labels: { app, shard: String(i % 100) } },
  spec: { nodeName: `node-${i % 50}`, containers: [{ name: 'app', image: 'registry.example/app:1' }] },
  status: {
    phase: 'Running',
    podIP: `10.${Math.floor(i / 65536)}.${Math.floor(i / 256) % 256}.${i % 256}`,
    podIPs: [{ ip: `10.${Math.floor(i / 65536)}.${Math.floor(i / 256) % 256}.${i % 256}` }],
  },
});
for (let i = 0; i < pods; i++) api.store.put(pod(i, i % 10 === 0 ? 'db-client' : 'web'));
for (let e = 0; e < 20; e++) {
  api.store.put({
    apiVersion: 'egress.proxier.io/v1alpha1',
    kind: 'Egress',
    metadata: { name: `egress-${e}` },
    spec: {
      podSelector: { matchLabels: { app: 'db-client', shard: String(e) } },
      egressIPs: [`192.0.2.${e + 1}`],
    },
  });
}
process.stdout.write(`${JSON.stringify({ url: api.url })}\n`);
createInterface({ input: process.stdin }).on('line', (line) => {
  const [verb, index] = line.split(' ');
  if (verb === 'flip') {
    const i = Number(index);
    const current = api.store.get('v1', 'Pod', `pod-${i}`, 'bench');
    api.store.put(pod(i, current?.metadata.labels?.app === 'db-client' ? 'web' : 'db-client'));
    process.stdout.write(`${JSON.stringify({ flipped: i })}\n`);
  }
});
process.on('SIGTERM', () => void api.close().then(() => process.exit(0)));
