// `npm run demo`: egress-proxier end to end on this machine's kernel, in network namespaces only.
//
// It builds a three-node lab (an L2 underlay with a router, pods behind each node, an external server
// that reports the source address it sees), starts the in-memory Kubernetes API server on the underlay and
// one agent per node with the iptables backend (all in live-cluster.mjs), then narrates: the server sees node
// IPs; an Egress is created; it sees the egress IP from pods on every node; the gateway's agent is killed; the
// IP fails over and the server still sees it. Everything is removed at the end, also after a failure or Ctrl-C.
import { API_IP, startLiveCluster, waitFor } from './live-cluster.mjs';

const EGRESS_IP = '192.0.2.100';
const EXTERNAL = '203.0.113.10';
const PORT = 8080;

const started = Date.now();
/** @type {import('./live-cluster.d.mts').LiveCluster | undefined} */
let cluster;

const bold = (text) => (process.stdout.isTTY ? `\x1b[1m${text}\x1b[0m` : text);
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s`;
const say = (text) => console.log(`${elapsed()}  ${text}`);
const step = (text) => console.log(`\n${elapsed()}  ${bold(text)}`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function sourcesSeen() {
  const seen = [];
  for (const node of cluster.lab.nodes) {
    const pod = node.pods[0];
    const source = await cluster.lab
      .connectFrom(pod, EXTERNAL, PORT, 2000)
      .catch((error) => `failed (${error.message.split('\n')[0]})`);
    seen.push({ pod: pod.name, node: node.name, source });
  }
  return seen;
}

function printSources(seen) {
  for (const { pod, node, source } of seen)
    say(`  ${pod.padEnd(9)} on ${node}  →  ${EXTERNAL} sees ${source}`);
}

/** Narrates the cluster's start stages as they complete. */
async function narrateStart(stage, live) {
  cluster = live;
  if (stage === 'lab') {
    for (const node of live.lab.nodes) say(`  ${node.name}: ${node.ip}, pods ${node.podCIDR}`);
    say(`  external server: ${EXTERNAL}:${PORT} (replies with the source address it saw)`);
    step('2. The in-memory Kubernetes API server, on the underlay at ' + API_IP);
  } else if (stage === 'apiserver') {
    say('  serving; Egress CRD installed');
    step('3. Nodes and pods as the kubelet would report them (node-2 and node-3 are gateway-eligible)');
  } else {
    say(
      await live
        .kubectl('get', 'nodes,pods', '-A')
        .then((out) => out.trimEnd().replace(/\n/g, '\n         ')),
    );
  }
}

async function main() {
  if (process.getuid?.() !== 0) throw new Error('the demo creates network namespaces: run it as root');

  step('1. A lab of network namespaces: 3 nodes on 192.0.2.0/24, one pod each, an external server');
  await startLiveCluster({
    prefix: 'demo',
    nodes: 3,
    podsPerNode: 1,
    gatewayNodes: [2, 3],
    externals: [EXTERNAL],
    serverPort: PORT,
    onProgress: narrateStart,
  });

  step("4. Before egress-proxier: the external server sees each node's own address");
  printSources(await sourcesSeen());

  step('5. One egress-proxier agent per node (iptables backend)');
  for (const node of cluster.lab.nodes) cluster.startAgent(node);
  say('  started; waiting for their first sync');
  await sleep(1500);

  step(`6. kubectl apply: an Egress giving app=checkout pods the source IP ${EGRESS_IP}`);
  await cluster.apply(`apiVersion: egress.proxier.io/v1alpha1
kind: Egress
metadata: {name: checkout}
spec:
  podSelector: {matchLabels: {app: checkout}}
  egressIPs: [${EGRESS_IP}]
  destinationCIDRs: [203.0.113.0/24]
`);
  const applied = Date.now();
  await waitFor(
    'every pod to leave as the egress IP',
    async () => (await sourcesSeen()).every((s) => s.source === EGRESS_IP),
    20_000,
  );
  say(`  programmed on every node in ${((Date.now() - applied) / 1000).toFixed(1)} s`);
  printSources(await sourcesSeen());
  const gateway = (await cluster.holders(EGRESS_IP))[0];
  say(`  ${EGRESS_IP} is held by ${gateway}; pods elsewhere are steered to it`);
  say(await cluster.kubectl('get', 'egresses').then((out) => out.trimEnd().replace(/\n/g, '\n         ')));

  step(`7. Failover: kill -9 the agent on ${gateway} (it gets no chance to clean up)`);
  const killedAt = Date.now();
  await cluster.stopAgent(gateway, 'SIGKILL');
  // Watch both nodes at once: when the old one loses the address, when another gains it, and whether
  // the two ever hold it together.
  let goneAt;
  let claimed;
  let overlap = false;
  await waitFor(
    'the IP to move to another node',
    async () => {
      const now = await cluster.holders(EGRESS_IP);
      if (now.length > 1) overlap = true;
      if (goneAt === undefined && !now.includes(gateway)) goneAt = Date.now();
      const other = now.find((n) => n !== gateway);
      if (claimed === undefined && other) claimed = { node: other, at: Date.now() };
      return goneAt !== undefined && claimed !== undefined;
    },
    20_000,
    50,
  );
  const seconds = (at) => ((at - killedAt) / 1000).toFixed(1);
  say(
    `  the kernel removed ${EGRESS_IP} from ${gateway} after ${seconds(goneAt)} s (address lifetime: no agent needed)`,
  );
  say(
    `  ${claimed.node} claimed it after ${seconds(claimed.at)} s; both held it at once: ${overlap ? 'YES (bug!)' : 'never'}`,
  );
  const alive = cluster.lab.nodes.filter((n) => n.name !== gateway);
  await waitFor(
    'traffic through the new gateway',
    async () => {
      for (const node of alive)
        if ((await cluster.lab.connectFrom(node.pods[0], EXTERNAL, PORT, 1000)) !== EGRESS_IP) return false;
      return true;
    },
    20_000,
    100,
  );
  say(`  new connections leave as ${EGRESS_IP} again ${seconds(Date.now())} s after the kill:`);
  const after = [];
  for (const node of alive)
    after.push({
      pod: node.pods[0].name,
      node: node.name,
      source: await cluster.lab.connectFrom(node.pods[0], EXTERNAL, PORT, 2000),
    });
  printSources(after);
  if (overlap) throw new Error('two nodes held the egress IP at the same time');
}

process.once('SIGINT', () => {
  console.log('\ninterrupted: cleaning up');
  (cluster?.cleanup() ?? Promise.resolve()).finally(() => process.exit(130));
});

main()
  .then(async () => {
    step('8. Cleaning up: agents stopped, namespaces removed');
    await cluster.cleanup();
    say('done');
  })
  .catch(async (error) => {
    console.error(`\ndemo failed: ${error.message}`);
    if (cluster) {
      // startLiveCluster already appended the logs to its own errors.
      if (!error.message.includes('--- last lines of')) console.error(cluster.logTails(6));
      await cluster.cleanup();
    }
    process.exit(1);
  });
