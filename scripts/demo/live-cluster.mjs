// A live egress-proxier cluster on this machine's kernel, in network namespaces only: a @egress-proxier/netlab
// lab (L2 underlay, nodes, pods, external servers that report the source address they see), the in-memory
// Kubernetes API server (HTTPS) in its own namespace on the underlay, Node/Namespace/Pod objects created with
// kubectl as a kubelet would report them, and real `egress-proxier run --backend=iptables` (or `options.backend`)
// agent processes, one per node namespace. Used by the demo (scripts/demo/demo.mjs) and the disruption tests (test/src/disruption).
// Types: live-cluster.d.mts.
import { spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { loadProxierPlugin } from '@egress-proxier/core';
import { assertLabPrerequisites, createLab, run, runIn } from '@egress-proxier/netlab';
import { runningPodStatus } from '@egress-proxier/testing';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const cli = path.join(repo, 'packages/core/dist/src/cli/main.js');
const apiserverBin = path.join(repo, 'packages/testing/dist/src/cli/main.js');
const connectionLoopScript = fileURLToPath(new URL('connection-loop.mjs', import.meta.url));

export const API_IP = '192.0.2.2';
export const HEALTHZ_ADDRESS = '127.0.0.1:10266';
export const GATEWAY_LABEL = 'egress.proxier.io/gateway';

const sleep = (/** @type {number} */ ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits until `check` returns a truthy value, polling; throws with `what` after `timeoutMs`.
 * @template T
 * @param {string} what
 * @param {() => Promise<T>} check
 * @param {number} [timeoutMs]
 * @param {number} [intervalMs]
 * @returns {Promise<T>}
 */
export async function waitFor(what, check, timeoutMs = 20_000, intervalMs = 200) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/**
 * @param {import('./live-cluster.d.mts').LiveClusterOptions} options
 * @returns {Promise<import('./live-cluster.d.mts').LiveCluster>}
 */
export async function startLiveCluster(options) {
  // Say what is missing up front: later, a missing kubectl or curl would only show as a timeout.
  await assertLabPrerequisites(['kubectl', 'curl', 'ipset', 'arping', 'iptables-nft-restore']);
  const cluster = new LiveCluster(options);
  try {
    await cluster.start();
  } catch (error) {
    const logs = cluster.logTails();
    await cluster.cleanup();
    if (error instanceof Error && logs) error.message += `\n${logs}`;
    throw error;
  }
  return cluster;
}

class LiveCluster {
  /** @param {import('./live-cluster.d.mts').LiveClusterOptions} options */
  constructor(options) {
    this.options = options;
    this.work = mkdtempSync(path.join(tmpdir(), `egress-${options.prefix}-`));
    this.kubeconfig = path.join(this.work, 'kubeconfig');
    this.apiNamespace = `${options.prefix}-api`;
    this.podNamespace = options.podNamespace ?? 'shop';
    /** @type {import('@egress-proxier/netlab').Lab | undefined} */
    this.maybeLab = undefined;
    /** @type {Map<string, import('node:child_process').ChildProcess>} */
    this.agents = new Map();
    /** @type {Set<import('node:child_process').ChildProcess>} */
    this.children = new Set();
    this.backend = options.backend ?? 'iptables';
    /** Per node: the backend's own flags for that node (plugin.labNode), and how to undo what it set up. */
    /** @type {Map<string, { options: Record<string, unknown>, flags: string[], release: () => Promise<void> }>} */
    this.nodeState = new Map();
    this.cleanedUp = false;
  }

  get lab() {
    if (this.maybeLab === undefined) throw new Error('the lab is not built yet');
    return this.maybeLab;
  }

  async start() {
    const progress = this.options.onProgress ?? (() => undefined);
    if (process.getuid?.() !== 0)
      throw new Error(
        'a live cluster creates network namespaces and runs agents that program iptables: run as root',
      );
    this.maybeLab = await createLab({
      prefix: this.options.prefix,
      nodes: this.options.nodes ?? 3,
      podsPerNode: this.options.podsPerNode ?? 1,
      externals: this.options.externals ?? ['203.0.113.10'],
      serverPort: this.options.serverPort ?? 8080,
    });
    await this.prepareNodeState();
    await progress('lab', this);
    await this.startApiServer();
    await progress('apiserver', this);
    await this.registerNodesAndPods();
    await progress('objects', this);
  }

  /**
   * Lab nodes share this host's filesystem: a backend that keeps host files per node (the eBPF backend's bpffs
   * pins) gets a directory per node through its plugin's labNode hook, as in the conformance suite.
   */
  async prepareNodeState() {
    const plugin = await loadProxierPlugin(this.backend);
    if (plugin.labNode === undefined) return;
    /** @type {import('@egress-proxier/core').Exec} */
    const exec = { run: (request) => run(request.command, request.args) };
    for (const node of this.lab.nodes) {
      const dir = path.join(this.work, `state-${node.name}`);
      mkdirSync(dir);
      const setup = await plugin.labNode(dir, exec);
      const flags = Object.entries(setup.options).map(
        ([name, value]) =>
          `--${this.backend}-${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}=${value}`,
      );
      this.nodeState.set(node.name, { options: setup.options, flags, release: setup.release });
    }
  }

  async startApiServer() {
    const lab = this.lab;
    const ns = this.apiNamespace;
    await lab.addNamespace(ns);
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
      ns,
    ]);
    await runIn(lab.underlay, 'ip', ['link', 'set', 'api0', 'master', 'br0', 'up']);
    await runIn(ns, 'ip', ['addr', 'add', `${API_IP}/24`, 'dev', 'eth0']);
    await runIn(ns, 'ip', ['link', 'set', 'eth0', 'up']);
    this.spawnLogged('apiserver', ns, [
      apiserverBin,
      '--listen',
      `${API_IP}:6443`,
      '--https',
      '--kubeconfig-out',
      this.kubeconfig,
    ]);
    await waitFor(
      'the API server',
      async () => existsSync(this.kubeconfig) && (await this.kubectl('version', '-o', 'json')),
    );
    await this.kubectl('apply', '-f', path.join(repo, 'deploy/namespace.yaml'));
    await this.kubectl('apply', '-f', path.join(repo, 'deploy/crd'));
    await this.kubectl('wait', '--for=condition=Established', 'crd/egresses.egress.proxier.io');
  }

  /** Node and Pod objects as the kubelet would report them (Ready nodes, Running and Ready pods with their lab IPs). */
  async registerNodesAndPods() {
    const gateways = new Set(this.options.gatewayNodes ?? []);
    const startTime = new Date();
    const now = startTime.toISOString();
    for (const node of this.lab.nodes) {
      await this.apply({
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name: node.name, labels: gateways.has(node.index) ? { [GATEWAY_LABEL]: 'true' } : {} },
        spec: { podCIDR: node.podCIDR, podCIDRs: [node.podCIDR] },
      });
      await this.patchStatus('node', node.name, {
        addresses: [{ type: 'InternalIP', address: node.ip }],
        conditions: [
          {
            type: 'Ready',
            status: 'True',
            reason: 'KubeletReady',
            message: 'netns lab',
            lastHeartbeatTime: now,
            lastTransitionTime: now,
          },
        ],
      });
    }
    await this.kubectl('create', 'namespace', this.podNamespace);
    const containers = [{ name: 'app', image: 'example/checkout' }];
    for (const pod of this.lab.pods) {
      await this.apply({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: pod.name,
          namespace: this.podNamespace,
          labels: this.options.podLabels ?? { app: 'checkout' },
        },
        spec: { nodeName: pod.node.name, containers },
      });
      // The whole status, containers and Ready condition included: phase and IPs alone read `0/1` in kubectl.
      const status = runningPodStatus({ containers, podIPs: [pod.ip], hostIP: pod.node.ip, startTime });
      await this.patchStatus('pod', pod.name, status, ['-n', this.podNamespace]);
    }
  }

  /**
   * @param {string} kind
   * @param {string} name
   * @param {object} status
   * @param {string[]} [extra]
   */
  patchStatus(kind, name, status, extra = []) {
    return this.kubectl(
      'patch',
      kind,
      name,
      ...extra,
      '--subresource=status',
      '--type=merge',
      '-p',
      JSON.stringify({ status }),
    );
  }

  /** @param {string[]} args */
  async kubectl(...args) {
    const result = await runIn(this.apiNamespace, 'kubectl', ['--kubeconfig', this.kubeconfig, ...args]);
    return result.stdout;
  }

  /** @param {string | object} manifest YAML/JSON text or an object */
  async apply(manifest) {
    const file = path.join(this.work, `apply-${Date.now()}-${Math.random().toString(16).slice(2)}.yaml`);
    writeFileSync(file, typeof manifest === 'string' ? manifest : JSON.stringify(manifest));
    return this.kubectl('apply', '-f', file);
  }

  /** @param {import('@egress-proxier/netlab').LabNode | string} nodeOrName */
  node(nodeOrName) {
    if (typeof nodeOrName !== 'string') return nodeOrName;
    const node = this.lab.nodes.find((candidate) => candidate.name === nodeOrName);
    if (node === undefined) throw new Error(`the lab has no node ${nodeOrName}`);
    return node;
  }

  /**
   * @param {import('@egress-proxier/netlab').LabNode | string} nodeOrName
   * @param {string[]} [extraArgs]
   */
  startAgent(nodeOrName, extraArgs = []) {
    const node = this.node(nodeOrName);
    if (this.agentRunning(node)) throw new Error(`the agent on ${node.name} is already running`);
    const agent = this.spawnLogged(`agent-${node.name}`, node.namespace, [
      cli,
      'run',
      `--backend=${this.backend}`,
      `--node-name=${node.name}`,
      `--kubeconfig=${this.kubeconfig}`,
      '--cluster-cidr=10.244.0.0/16',
      '--service-cidr=10.96.0.0/12',
      // All addresses of the node namespace: peers confirm API outages over the underlay (peer fencing).
      '--healthz-bind-address=0.0.0.0:10266',
      '--metrics-bind-address=127.0.0.1:10269',
      `--${this.backend}-uplink=${node.uplink}`,
      ...(this.nodeState.get(node.name)?.flags ?? []),
      ...(this.options.agentArgs ?? []),
      ...extraArgs,
    ]);
    this.agents.set(node.name, agent);
    return agent;
  }

  /**
   * The backend option values of the node's own host state (plugin.labNode), e.g. the eBPF pin directory.
   * @param {import('@egress-proxier/netlab').LabNode | string} nodeOrName
   */
  nodeBackendOptions(nodeOrName) {
    return this.nodeState.get(this.node(nodeOrName).name)?.options ?? {};
  }

  /** @param {import('@egress-proxier/netlab').LabNode | string} nodeOrName */
  agentRunning(nodeOrName) {
    const agent = this.agents.get(this.node(nodeOrName).name);
    return agent !== undefined && agent.exitCode === null && agent.signalCode === null;
  }

  /**
   * Sends `signal` to the node's agent and resolves when it has exited (SIGKILL after `graceMs`).
   * @param {import('@egress-proxier/netlab').LabNode | string} nodeOrName
   * @param {NodeJS.Signals} [signal]
   * @param {number} [graceMs]
   * @returns {Promise<{ code: number | null, signal: NodeJS.Signals | null }>}
   */
  async stopAgent(nodeOrName, signal = 'SIGTERM', graceMs = 10_000) {
    const node = this.node(nodeOrName);
    const agent = this.agents.get(node.name);
    if (agent === undefined || !this.agentRunning(node))
      throw new Error(`no agent is running on ${node.name}`);
    const exited = new Promise((resolve) =>
      agent.once('exit', (code, sig) => resolve({ code, signal: sig })),
    );
    agent.kill(signal);
    const timer = setTimeout(() => agent.kill('SIGKILL'), graceMs);
    try {
      return /** @type {{ code: number | null, signal: NodeJS.Signals | null }} */ (await exited);
    } finally {
      clearTimeout(timer);
    }
  }

  /** True when the node's agent answers /healthz with 200 (it has synced recently). */
  async agentHealthy(/** @type {import('@egress-proxier/netlab').LabNode | string} */ nodeOrName) {
    const node = this.node(nodeOrName);
    const result = await runIn(
      node.namespace,
      'curl',
      ['-sf', '--max-time', '1', `http://${HEALTHZ_ADDRESS}/healthz`],
      {
        allowFailure: true,
      },
    );
    return result.exitCode === 0;
  }

  /** Names of the nodes whose uplink holds `ip` (/32), asked of every node at once. */
  async holders(/** @type {string} */ ip) {
    const held = await Promise.all(
      this.lab.nodes.map(async (node) => {
        // `ip -n` rather than `ip netns exec … ip`: one process per node, so samplers can poll every ~50 ms.
        const out = (await run('ip', ['-n', node.namespace, '-4', '-o', 'addr', 'show', 'dev', node.uplink]))
          .stdout;
        return out.includes(` ${ip}/32 `) ? node.name : undefined;
      }),
    );
    return held.filter((name) => name !== undefined);
  }

  /**
   * POSTs to the in-memory API server's fault endpoint (`/__fault/<action>`, packages/testing): e.g.
   * `apiFault('pause', { mode: 'hang', durationMs: 10000 })`, `apiFault('resume')`, `apiFault('reset')`.
   * It goes over curl from the API server's namespace, not through kubectl: while the server hangs, every
   * Kubernetes request (kubectl's discovery included) hangs too, but the fault endpoint still answers.
   * @param {string} action
   * @param {object} [body]
   * @returns {Promise<unknown>} the endpoint's JSON answer
   */
  async apiFault(action, body = {}) {
    const ca = path.join(this.work, 'apiserver-ca.pem');
    if (!existsSync(ca)) {
      const data = /certificate-authority-data:\s*(\S+)/.exec(readFileSync(this.kubeconfig, 'utf8'))?.[1];
      if (data === undefined) throw new Error(`no certificate-authority-data in ${this.kubeconfig}`);
      writeFileSync(ca, Buffer.from(data, 'base64'));
    }
    const { stdout } = await runIn(this.apiNamespace, 'curl', [
      '-sS',
      '--fail-with-body',
      '--max-time',
      '5',
      '--cacert',
      ca,
      '-X',
      'POST',
      '-H',
      'Content-Type: application/json',
      '--data',
      JSON.stringify(body),
      `https://${API_IP}:6443/__fault/${action}`,
    ]);
    return JSON.parse(stdout || '{}');
  }

  /**
   * Starts connection-loop.mjs in a pod: a new TCP connection to ip:port every `intervalMs`.
   * @param {import('@egress-proxier/netlab').LabPod} pod
   * @param {import('./live-cluster.d.mts').ConnectionLoopOptions} options
   * @returns {Promise<import('./live-cluster.d.mts').ConnectionLoop>}
   */
  async startConnectionLoop(pod, options) {
    const lab = this.lab;
    const port = options.port ?? lab.external(options.ip).port;
    const child = spawn(
      'ip',
      [
        'netns',
        'exec',
        pod.namespace,
        process.execPath,
        connectionLoopScript,
        options.ip,
        String(port),
        String(options.intervalMs ?? 50),
        String(options.timeoutMs ?? 1000),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.children.add(child);
    /** @type {import('./live-cluster.d.mts').ConnectionAttempt[]} */
    const attempts = [];
    createInterface({ input: /** @type {import('node:stream').Readable} */ (child.stdout) }).on(
      'line',
      (line) => attempts.push(JSON.parse(line)),
    );
    let stderr = '';
    const exited = new Promise((resolve) => child.once('exit', resolve));
    await new Promise((resolve, reject) => {
      child.stderr?.on('data', (data) => {
        stderr += data.toString();
        if (stderr.includes('looping')) resolve(undefined);
      });
      child.once('exit', (code) =>
        reject(new Error(`the connection loop in ${pod.namespace} exited with ${code}: ${stderr}`)),
      );
    });
    return {
      attempts,
      stop: async () => {
        child.kill('SIGTERM');
        await exited;
        this.children.delete(child);
        return [...attempts].sort((a, b) => a.startedAt - b.startedAt);
      },
    };
  }

  /**
   * Starts one connection loop per pod at once (see startConnectionLoop); stop() stops them all and returns
   * each pod's attempts, ordered by start. If one loop fails to start, the others are stopped.
   * @param {readonly import('@egress-proxier/netlab').LabPod[]} pods
   * @param {import('./live-cluster.d.mts').ConnectionLoopOptions} options
   * @returns {Promise<import('./live-cluster.d.mts').ConnectionLoops>}
   */
  async startConnectionLoops(pods, options) {
    const started = await Promise.allSettled(pods.map((pod) => this.startConnectionLoop(pod, options)));
    const loops = started.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
    const failure = started.find((outcome) => outcome.status === 'rejected');
    if (failure !== undefined) {
      await Promise.all(loops.map((loop) => loop.stop()));
      throw failure.reason;
    }
    return {
      pods,
      loops,
      stop: async () => {
        const stopped = await Promise.all(loops.map((loop) => loop.stop()));
        return pods.map((pod, index) => ({ pod, attempts: stopped[index] ?? [] }));
      },
    };
  }

  /** The last lines of each process log (API server, agents), for failure messages. */
  logTails(lines = 8) {
    const tails = [];
    for (const name of ['apiserver', ...(this.maybeLab?.nodes ?? []).map((node) => `agent-${node.name}`)]) {
      const file = path.join(this.work, `${name}.log`);
      if (!existsSync(file)) continue;
      const tail = readFileSync(file, 'utf8')
        .trimEnd()
        .split('\n')
        .slice(-lines)
        .map((line) => line.slice(0, 400))
        .join('\n');
      tails.push(`--- last lines of ${name}.log ---\n${tail}`);
    }
    return tails.join('\n');
  }

  /** Stops every process this cluster started and removes its namespaces and files. Safe to call twice. */
  async cleanup() {
    if (this.cleanedUp) return;
    this.cleanedUp = true;
    const running = () =>
      [...this.children].filter((child) => child.exitCode === null && child.signalCode === null);
    for (const child of running()) child.kill('SIGTERM');
    for (let waited = 0; running().length > 0 && waited < 2000; waited += 100) await sleep(100);
    for (const child of running()) child.kill('SIGKILL');
    if (this.maybeLab) await this.maybeLab.destroy();
    for (const [node, state] of this.nodeState)
      await state.release().catch((error) => console.error(`releasing ${node}'s host state: ${error}`));
    this.nodeState.clear();
    rmSync(this.work, { recursive: true, force: true });
  }

  /**
   * @param {string} name log file name (without .log)
   * @param {string} namespace
   * @param {string[]} args node arguments
   */
  spawnLogged(name, namespace, args) {
    const log = openSync(path.join(this.work, `${name}.log`), 'a');
    const child = spawn('ip', ['netns', 'exec', namespace, process.execPath, ...args], {
      stdio: ['ignore', log, log],
    });
    closeSync(log);
    this.children.add(child);
    return child;
  }
}
