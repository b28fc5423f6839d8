// `npm run demo`: egress-proxier end to end on this machine's kernel, in network namespaces only.
//
// It builds a three-node lab (an L2 underlay with a router, pods behind each node, an external server
// that reports the source address it sees), starts the in-memory Kubernetes API server on the underlay and
// one agent per node with the iptables backend, then narrates: the server sees node IPs; an Egress is
// created; it sees the egress IP from pods on every node; the gateway's agent is killed; the IP fails over
// and the server still sees it. Everything is removed at the end, also after a failure or Ctrl-C.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync, openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLab, runIn } from '@egress-proxier/netlab';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const cli = path.join(repo, 'packages/core/dist/src/cli/main.js');
const apiserverBin = path.join(repo, 'packages/testing/dist/src/cli/main.js');
const EGRESS_IP = '192.0.2.100';
const API_IP = '192.0.2.2';
const EXTERNAL = '203.0.113.10';
const PORT = 8080;

const started = Date.now();
const work = mkdtempSync(path.join(tmpdir(), 'egress-demo-'));
const kubeconfig = path.join(work, 'kubeconfig');
const children = [];
let lab;

const bold = (text) => (process.stdout.isTTY ? `\x1b[1m${text}\x1b[0m` : text);
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s`;
const say = (text) => console.log(`${elapsed()}  ${text}`);
const step = (text) => console.log(`\n${elapsed()}  ${bold(text)}`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function startProcess(name, namespace, args) {
  const log = openSync(path.join(work, `${name}.log`), 'a');
  const child = spawn('ip', ['netns', 'exec', namespace, process.execPath, ...args], {
    stdio: ['ignore', log, log],
  });
  children.push(child);
  return child;
}

async function kubectl(...args) {
  const result = await runIn(`${lab.prefix}-api`, 'kubectl', ['--kubeconfig', kubeconfig, ...args]);
  return result.stdout;
}

async function kubectlApply(yaml) {
  const file = path.join(work, `apply-${Date.now()}-${Math.random().toString(16).slice(2)}.yaml`);
  await import('node:fs').then((fs) => fs.writeFileSync(file, yaml));
  return kubectl('apply', '-f', file);
}

/** Waits until `check` returns a truthy value, polling; throws with `what` after `timeoutMs`. */
async function waitFor(what, check, timeoutMs = 20_000, intervalMs = 200) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(intervalMs);
  }
}

async function sourcesSeen() {
  const seen = [];
  for (const node of lab.nodes) {
    const pod = node.pods[0];
    const source = await lab
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

async function holders() {
  const result = [];
  for (const node of lab.nodes) {
    const out = (await runIn(node.namespace, 'ip', ['-4', '-o', 'addr', 'show', 'dev', node.uplink])).stdout;
    if (out.includes(` ${EGRESS_IP}/32 `)) result.push(node.name);
  }
  return result;
}

async function main() {
  if (process.getuid?.() !== 0) throw new Error('the demo creates network namespaces: run it as root');

  step('1. A lab of network namespaces: 3 nodes on 192.0.2.0/24, one pod each, an external server');
  lab = await createLab({
    prefix: 'demo',
    nodes: 3,
    podsPerNode: 1,
    externals: [EXTERNAL],
    serverPort: PORT,
  });
  for (const node of lab.nodes) say(`  ${node.name}: ${node.ip}, pods ${node.podCIDR}`);
  say(`  external server: ${EXTERNAL}:${PORT} (replies with the source address it saw)`);

  step('2. The in-memory Kubernetes API server, on the underlay at ' + API_IP);
  const apiNamespace = `${lab.prefix}-api`;
  await lab.addNamespace(apiNamespace);
  await runIn(lab.underlay, 'ip', [
    'link',
    'add',
    'api0',
    'type',
    'veth',
    'peer',
    'name',
    'eth0',
    'netns',
    apiNamespace,
  ]);
  await runIn(lab.underlay, 'ip', ['link', 'set', 'api0', 'master', 'br0', 'up']);
  await runIn(apiNamespace, 'ip', ['addr', 'add', `${API_IP}/24`, 'dev', 'eth0']);
  await runIn(apiNamespace, 'ip', ['link', 'set', 'eth0', 'up']);
  await runIn(apiNamespace, 'ip', ['link', 'set', 'lo', 'up']);
  startProcess('apiserver', apiNamespace, [
    apiserverBin,
    '--listen',
    `${API_IP}:6443`,
    '--https',
    '--kubeconfig-out',
    kubeconfig,
  ]);
  await waitFor(
    'the API server',
    async () => existsSync(kubeconfig) && (await kubectl('version', '-o', 'json')),
  );
  await kubectl('apply', '-f', path.join(repo, 'deploy/namespace.yaml'));
  await kubectl('apply', '-f', path.join(repo, 'deploy/crd'));
  await kubectl('wait', '--for=condition=Established', 'crd/egresses.egress.proxier.io');
  say('  serving; Egress CRD installed');

  step('3. Nodes and pods as the kubelet would report them (node-2 and node-3 are gateway-eligible)');
  for (const node of lab.nodes) {
    const gateway = node.index > 1 ? { 'egress.proxier.io/gateway': 'true' } : {};
    await kubectlApply(
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name: node.name, labels: gateway },
        spec: { podCIDR: node.podCIDR, podCIDRs: [node.podCIDR] },
      }),
    );
    await kubectl(
      'patch',
      'node',
      node.name,
      '--subresource=status',
      '--type=merge',
      '-p',
      JSON.stringify({
        status: {
          addresses: [{ type: 'InternalIP', address: node.ip }],
          conditions: [
            {
              type: 'Ready',
              status: 'True',
              reason: 'KubeletReady',
              message: 'demo',
              lastHeartbeatTime: new Date().toISOString(),
              lastTransitionTime: new Date().toISOString(),
            },
          ],
        },
      }),
    );
  }
  await kubectl('create', 'namespace', 'shop');
  for (const node of lab.nodes) {
    const pod = node.pods[0];
    await kubectlApply(
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: pod.name, namespace: 'shop', labels: { app: 'checkout' } },
        spec: { nodeName: node.name, containers: [{ name: 'app', image: 'example/checkout' }] },
      }),
    );
    await kubectl(
      'patch',
      'pod',
      pod.name,
      '-n',
      'shop',
      '--subresource=status',
      '--type=merge',
      '-p',
      JSON.stringify({ status: { phase: 'Running', podIP: pod.ip, podIPs: [{ ip: pod.ip }] } }),
    );
  }
  say(await kubectl('get', 'nodes,pods', '-A').then((out) => out.trimEnd().replace(/\n/g, '\n         ')));

  step("4. Before egress-proxier: the external server sees each node's own address");
  printSources(await sourcesSeen());

  step('5. One egress-proxier agent per node (iptables backend)');
  const agents = new Map();
  for (const node of lab.nodes) {
    agents.set(node.name, startAgent(node));
  }
  say('  started; waiting for their first sync');
  await sleep(1500);

  step(`6. kubectl apply: an Egress giving app=checkout pods the source IP ${EGRESS_IP}`);
  await kubectlApply(`apiVersion: egress.proxier.io/v1alpha1
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
  const gateway = (await holders())[0];
  say(`  ${EGRESS_IP} is held by ${gateway}; pods elsewhere are steered to it`);
  say(await kubectl('get', 'egresses').then((out) => out.trimEnd().replace(/\n/g, '\n         ')));

  step(`7. Failover: kill -9 the agent on ${gateway} (it gets no chance to clean up)`);
  const killedAt = Date.now();
  agents.get(gateway).kill('SIGKILL');
  // Watch both nodes at once: when the old one loses the address, when another gains it, and whether
  // the two ever hold it together.
  let goneAt;
  let claimed;
  let overlap = false;
  await waitFor(
    'the IP to move to another node',
    async () => {
      const now = await holders();
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
  const alive = lab.nodes.filter((n) => n.name !== gateway);
  await waitFor(
    'traffic through the new gateway',
    async () => {
      for (const node of alive)
        if ((await lab.connectFrom(node.pods[0], EXTERNAL, PORT, 1000)) !== EGRESS_IP) return false;
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
      source: await lab.connectFrom(node.pods[0], EXTERNAL, PORT, 2000),
    });
  printSources(after);
  if (overlap) throw new Error('two nodes held the egress IP at the same time');
}

function startAgent(node) {
  return startProcess(`agent-${node.name}`, node.namespace, [
    cli,
    'run',
    '--backend=iptables',
    `--node-name=${node.name}`,
    `--kubeconfig=${kubeconfig}`,
    '--cluster-cidr=10.244.0.0/16',
    '--service-cidr=10.96.0.0/12',
    '--healthz-bind-address=127.0.0.1:10266',
    '--metrics-bind-address=127.0.0.1:10269',
    '--iptables-uplink=eth0',
  ]);
}

async function cleanup() {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  await sleep(300);
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  if (lab) await lab.destroy();
  rmSync(work, { recursive: true, force: true });
}

process.once('SIGINT', () => {
  console.log('\ninterrupted: cleaning up');
  cleanup().finally(() => process.exit(130));
});

main()
  .then(async () => {
    step('8. Cleaning up: agents stopped, namespaces removed');
    await cleanup();
    say('done');
  })
  .catch(async (error) => {
    console.error(`\ndemo failed: ${error.message}`);
    for (const name of ['apiserver', ...['node-1', 'node-2', 'node-3'].map((n) => `agent-${n}`)]) {
      const file = path.join(work, `${name}.log`);
      if (existsSync(file))
        console.error(
          `--- last lines of ${name}.log ---\n${readFileSync(file, 'utf8')
            .trimEnd()
            .split('\n')
            .slice(-6)
            .map((line) => line.slice(0, 400))
            .join('\n')}`,
        );
    }
    await cleanup();
    process.exit(1);
  });
