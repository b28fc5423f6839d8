// A cluster-shaped network made of namespaces, for real-kernel tests:
//
//   <prefix>-ul      the L2 underlay (bridge br0, 192.0.2.1) that also routes to the external subnets, without NAT
//   <prefix>-n<i>    node i: eth0 = 192.0.2.(10+i) on br0, bridge cni0 = 10.244.i.1/24, a CNI-like MASQUERADE
//   <prefix>-n<i>-p<j> pod j of node i: eth0 = 10.244.i.(j+1) behind cni0
//   <prefix>-x<k>    external server k (198.51.100.x, 203.0.113.x) reporting the source address it sees
//
// With `ipv6: true` every link is dual-stack (topology.ts: nodes 2001:db8:2::1<i>, pods
// fd00:10:244:<i>::<j+1>, external servers 2001:db8:<c>::<d>), with the same routes and an ip6tables masquerade.
//
// Every namespace is created by the lab and removed by destroy(), which also works after a partial failure.
import { fileURLToPath } from 'node:url';
import { assertLabPrerequisites } from './prerequisites.js';
import { localHost, type LabHost, type LabProcess, type SpawnOptions } from './host.js';
import { Prober } from './prober.js';
import { type RunOptions, type RunResult } from './run.js';
import {
  DEFAULT_EXTERNALS,
  DEFAULT_SERVER_PORT,
  externalGateway,
  externalGateway6,
  externalIP6,
  externalSubnet,
  nodeIP,
  nodeIP6,
  podCIDR,
  podCIDR6,
  podGateway,
  podGateway6,
  podIP,
  podIP6,
  POD_SUPERNET,
  POD_SUPERNET6,
  ROUTER_NODE_SIDE_IP,
  ROUTER_NODE_SIDE_IP6,
} from './topology.js';

export type IptablesFlavour = 'nft' | 'legacy';

export interface LabOptions {
  /** Namespace name prefix, e.g. the suite name; also what destroyStale() looks for. */
  prefix: string;
  nodes?: number;
  podsPerNode?: number;
  /** External server addresses; each /24 gets its own router-side bridge. */
  externals?: readonly string[];
  /** Flavour of the nodes' CNI MASQUERADE rule (a backend should detect and follow it). */
  iptablesFlavour?: IptablesFlavour;
  serverPort?: number;
  /** Also give every link, node, pod and external server an IPv6 address (see topology.ts). */
  ipv6?: boolean;
  /** Where commands run; defaults to this host. */
  host?: LabHost;
}

export interface LabNode {
  name: string;
  index: number;
  namespace: string;
  uplink: string;
  ip: string;
  podCIDR: string;
  /** With `ipv6`: the node's IPv6 address and pod prefix. */
  ip6?: string;
  podCIDR6?: string;
  pods: LabPod[];
}

export interface LabPod {
  name: string;
  namespace: string;
  ip: string;
  ip6?: string;
  node: LabNode;
}

export interface LabExternal {
  name: string;
  namespace: string;
  ip: string;
  ip6?: string;
  port: number;
}

export interface ConnectResult {
  /** Source address the server saw. */
  source: string;
  /** Bytes the server received. */
  bytes: number;
}

const AGENTS = new URL('./agents/', import.meta.url);
const SERVER_SCRIPT = fileURLToPath(new URL('tcp-source-server.js', AGENTS));
const PROBE_SCRIPT = fileURLToPath(new URL('probe-agent.js', AGENTS));

export class Lab {
  readonly nodes: LabNode[] = [];
  readonly externals: LabExternal[] = [];
  readonly underlay: string;
  private readonly namespaces: string[] = [];
  private readonly processes = new Set<LabProcess>();
  /** The probe agent that serves send() and connectFrom() in each namespace, started on first use. */
  private readonly senders = new Map<string, Prober>();

  constructor(
    readonly prefix: string,
    readonly host: LabHost = localHost,
    readonly ipv6 = false,
  ) {
    this.underlay = `${prefix}-ul`;
  }

  get pods(): LabPod[] {
    return this.nodes.flatMap((node) => node.pods);
  }

  node(index: number): LabNode {
    const node = this.nodes[index - 1];
    if (node === undefined) throw new Error(`lab ${this.prefix} has no node ${index}`);
    return node;
  }

  pod(nodeIndex: number, podIndex: number): LabPod {
    const pod = this.node(nodeIndex).pods[podIndex - 1];
    if (pod === undefined) throw new Error(`node ${nodeIndex} of lab ${this.prefix} has no pod ${podIndex}`);
    return pod;
  }

  external(ip: string): LabExternal {
    const external = this.externals.find((candidate) => candidate.ip === ip || candidate.ip6 === ip);
    if (external === undefined) throw new Error(`lab ${this.prefix} has no external server ${ip}`);
    return external;
  }

  /** Runs a command inside a namespace (a node's, a pod's, the underlay's). */
  exec(
    namespace: string,
    command: string,
    args: readonly string[],
    options?: RunOptions,
  ): Promise<RunResult> {
    return this.host.run('ip', ['netns', 'exec', namespace, command, ...args], options);
  }

  /** Starts a long-running process inside a namespace (e.g. an agent in a node); destroy() stops it. */
  spawn(namespace: string, command: string, args: readonly string[], options?: SpawnOptions): LabProcess {
    const child = this.host.spawn(namespace, command, args, options);
    this.processes.add(child);
    child.once('exit', () => this.processes.delete(child));
    return child;
  }

  /** Opens a TCP connection from a pod (or any namespace) and returns the source address the server saw. */
  async connectFrom(from: LabPod | string, ip: string, port?: number, timeoutMs = 3000): Promise<string> {
    return (await this.send(from, ip, 0, port, timeoutMs)).source;
  }

  /**
   * Sends `bytes` bytes over one connection (one at a time over `spreadMs`, when given); resolves with what the
   * server saw, rejects on failure.
   */
  async send(
    from: LabPod | string,
    ip: string,
    bytes: number,
    port?: number,
    timeoutMs = 3000,
    spreadMs = 0,
  ): Promise<ConnectResult> {
    const namespace = typeof from === 'string' ? from : from.namespace;
    const target =
      port ??
      this.externals.find((external) => external.ip === ip || external.ip6 === ip)?.port ??
      DEFAULT_SERVER_PORT;
    const failure = (reason: string) =>
      new Error(`connection from ${namespace} to ${ip}:${target} failed: ${reason.trim() || 'no answer'}`);
    const attempt = await this.sender(namespace)
      .send(ip, target, { bytes, timeoutMs, spreadMs })
      .catch((error: unknown) => {
        throw failure(error instanceof Error ? error.message : String(error));
      });
    if (attempt.source === undefined) throw failure(attempt.reason ?? '');
    return { source: attempt.source, bytes: attempt.bytes ?? 0 };
  }

  /** One long-running agent per namespace: a node process per connection costs ~1.5 s in a TCG guest. */
  private sender(namespace: string): Prober {
    let prober = this.senders.get(namespace);
    if (prober === undefined || prober.exited) {
      prober = this.prober(namespace);
      this.senders.set(namespace, prober);
    }
    return prober;
  }

  /** Starts the source-reporting TCP server in a namespace (externals get one at creation). */
  async startServer(namespace: string, port: number, options: { ipv6?: boolean } = {}): Promise<void> {
    const args = [SERVER_SCRIPT, String(port), ...(options.ipv6 === true ? ['dual'] : [])];
    const child = this.spawn(namespace, process.execPath, args);
    await new Promise<void>((resolve, reject) => {
      let output = '';
      const timer = setTimeout(
        () => reject(new Error(`server in ${namespace} did not start: ${output}`)),
        10_000,
      );
      const onData = (data: Buffer) => {
        output += data.toString();
        if (output.includes('listening')) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', (data: Buffer) => (output += data.toString()));
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`server in ${namespace} exited with ${code}: ${output}`));
      });
    });
  }

  /** A long-running prober in a namespace (one process for many connections); destroy() stops it. */
  prober(from: LabPod | string): Prober {
    const namespace = typeof from === 'string' ? from : from.namespace;
    return new Prober(namespace, this.spawn(namespace, process.execPath, [PROBE_SCRIPT], { stdin: true }));
  }

  /** Stops the lab's processes and removes every namespace it created. Safe to call twice. */
  async destroy(): Promise<void> {
    // Not only those with a PID: a guest's process learns its PID after the kill may already be needed.
    for (const child of this.processes) child.kill('SIGKILL');
    this.processes.clear();
    this.senders.clear();
    for (const namespace of this.namespaces.splice(0).reverse()) {
      await this.host.run('ip', ['netns', 'del', namespace], { allowFailure: true });
    }
  }

  /** @internal used by createLab */
  async addNamespace(namespace: string): Promise<void> {
    await this.host.run('ip', ['netns', 'add', namespace]);
    this.namespaces.push(namespace);
    await this.host.run('ip', ['-n', namespace, 'link', 'set', 'lo', 'up']);
  }
}

export async function createLab(options: LabOptions): Promise<Lab> {
  const flavour = options.iptablesFlavour ?? 'nft';
  await assertLabPrerequisites([
    `iptables-${flavour}`,
    ...(options.ipv6 === true ? [`ip6tables-${flavour}`] : []),
  ]);
  if (!/^[a-z][a-z0-9]{0,11}$/.test(options.prefix)) {
    throw new Error(
      `lab prefix "${options.prefix}" must be 1-12 lowercase letters or digits, starting with a letter`,
    );
  }
  await destroyStale(options.prefix, options.host);
  const lab = new Lab(options.prefix, options.host, options.ipv6 === true);
  try {
    await build(lab, options, flavour);
  } catch (error) {
    await lab.destroy();
    throw error;
  }
  return lab;
}

async function build(lab: Lab, options: LabOptions, flavour: IptablesFlavour): Promise<void> {
  const nodeCount = options.nodes ?? 3;
  const podsPerNode = options.podsPerNode ?? 2;
  const port = options.serverPort ?? DEFAULT_SERVER_PORT;
  const ul = lab.underlay;
  // `ip -n` enters the namespace itself: one exec instead of two and no mount namespace of `ip netns exec`
  // (a third of the lab's build time in a TCG guest, where every exec costs tens of ms).
  const ip = (namespace: string, ...args: string[]) => lab.host.run('ip', ['-n', namespace, ...args]);
  const sysctl = (namespace: string, setting: string) => lab.exec(namespace, 'sysctl', ['-q', '-w', setting]);
  const v6 = lab.ipv6;
  // Lab addresses skip duplicate address detection: nothing else is on these links, and a tentative
  // address would fail the first connections.
  const ip6 = (namespace: string, ...args: string[]) =>
    v6 ? ip(namespace, '-6', ...args) : Promise.resolve(undefined);

  await lab.addNamespace(ul);
  await ip(ul, 'link', 'add', 'br0', 'type', 'bridge');
  await ip(ul, 'addr', 'add', `${ROUTER_NODE_SIDE_IP}/24`, 'dev', 'br0');
  await ip(ul, 'link', 'set', 'br0', 'up');
  await sysctl(ul, 'net.ipv4.ip_forward=1');
  if (v6) {
    await ip6(ul, 'addr', 'add', `${ROUTER_NODE_SIDE_IP6}/64`, 'dev', 'br0', 'nodad');
    await sysctl(ul, 'net.ipv6.conf.all.forwarding=1');
  }

  for (let index = 1; index <= nodeCount; index++) {
    const namespace = `${lab.prefix}-n${index}`;
    const node: LabNode = {
      name: `node-${index}`,
      index,
      namespace,
      uplink: 'eth0',
      ip: nodeIP(index),
      podCIDR: podCIDR(index),
      ...(v6 ? { ip6: nodeIP6(index), podCIDR6: podCIDR6(index) } : {}),
      pods: [],
    };
    await lab.addNamespace(namespace);
    await ip(ul, 'link', 'add', `n${index}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', namespace);
    await ip(ul, 'link', 'set', `n${index}`, 'master', 'br0', 'up');
    await ip(namespace, 'addr', 'add', `${node.ip}/24`, 'dev', 'eth0');
    await ip(namespace, 'link', 'set', 'eth0', 'up');
    await ip(namespace, 'route', 'add', 'default', 'via', ROUTER_NODE_SIDE_IP);
    await sysctl(namespace, 'net.ipv4.ip_forward=1');
    await ip(namespace, 'link', 'add', 'cni0', 'type', 'bridge');
    await ip(namespace, 'addr', 'add', `${podGateway(index)}/24`, 'dev', 'cni0');
    await ip(namespace, 'link', 'set', 'cni0', 'up');
    if (v6) {
      await sysctl(namespace, 'net.ipv6.conf.all.forwarding=1');
      await ip6(namespace, 'addr', 'add', `${nodeIP6(index)}/64`, 'dev', 'eth0', 'nodad');
      await ip6(namespace, 'route', 'add', 'default', 'via', ROUTER_NODE_SIDE_IP6);
      await ip6(namespace, 'addr', 'add', `${podGateway6(index)}/64`, 'dev', 'cni0', 'nodad');
      await lab.exec(namespace, `ip6tables-${flavour}`, [
        '-t',
        'nat',
        '-A',
        'POSTROUTING',
        '-s',
        POD_SUPERNET6,
        '!',
        '-d',
        POD_SUPERNET6,
        '-m',
        'comment',
        '--comment',
        'netlab CNI masquerade',
        '-j',
        'MASQUERADE',
      ]);
    }
    // The CNI's masquerade, as flannel writes it: pod traffic leaving the pod network gets the node IP.
    await lab.exec(namespace, `iptables-${flavour}`, [
      '-t',
      'nat',
      '-A',
      'POSTROUTING',
      '-s',
      POD_SUPERNET,
      '!',
      '-d',
      POD_SUPERNET,
      '-m',
      'comment',
      '--comment',
      'netlab CNI masquerade',
      '-j',
      'MASQUERADE',
    ]);
    for (let podIndex = 1; podIndex <= podsPerNode; podIndex++) {
      const podNamespace = `${namespace}-p${podIndex}`;
      const pod: LabPod = {
        name: `pod-${index}-${podIndex}`,
        namespace: podNamespace,
        ip: podIP(index, podIndex),
        ...(v6 ? { ip6: podIP6(index, podIndex) } : {}),
        node,
      };
      await lab.addNamespace(podNamespace);
      await ip(
        namespace,
        'link',
        'add',
        `veth${podIndex}`,
        'type',
        'veth',
        'peer',
        'name',
        'eth0',
        'netns',
        podNamespace,
      );
      await ip(namespace, 'link', 'set', `veth${podIndex}`, 'master', 'cni0', 'up');
      await ip(podNamespace, 'addr', 'add', `${pod.ip}/24`, 'dev', 'eth0');
      await ip(podNamespace, 'link', 'set', 'eth0', 'up');
      await ip(podNamespace, 'route', 'add', 'default', 'via', podGateway(index));
      if (v6) {
        await ip6(podNamespace, 'addr', 'add', `${podIP6(index, podIndex)}/64`, 'dev', 'eth0', 'nodad');
        await ip6(podNamespace, 'route', 'add', 'default', 'via', podGateway6(index));
      }
      node.pods.push(pod);
    }
    lab.nodes.push(node);
  }
  // Pod routes between nodes (a routed CNI), and in the router so the underlay knows where pods live.
  for (const node of lab.nodes) {
    await ip(ul, 'route', 'add', node.podCIDR, 'via', node.ip);
    for (const other of lab.nodes) {
      if (other !== node) await ip(node.namespace, 'route', 'add', other.podCIDR, 'via', other.ip);
    }
    if (node.podCIDR6 !== undefined && node.ip6 !== undefined) {
      await ip6(ul, 'route', 'add', node.podCIDR6, 'via', node.ip6);
      for (const other of lab.nodes) {
        if (other !== node && other.podCIDR6 !== undefined && other.ip6 !== undefined)
          await ip6(node.namespace, 'route', 'add', other.podCIDR6, 'via', other.ip6);
      }
    }
  }

  const subnets = new Map<string, string>();
  const servers: Promise<void>[] = [];
  for (const [index, address] of (options.externals ?? DEFAULT_EXTERNALS).entries()) {
    const subnet = externalSubnet(address);
    let bridge = subnets.get(subnet);
    if (bridge === undefined) {
      bridge = `bx${subnets.size + 1}`;
      subnets.set(subnet, bridge);
      await ip(ul, 'link', 'add', bridge, 'type', 'bridge');
      await ip(ul, 'addr', 'add', `${externalGateway(address)}/24`, 'dev', bridge);
      await ip(ul, 'link', 'set', bridge, 'up');
      await ip6(ul, 'addr', 'add', `${externalGateway6(address)}/64`, 'dev', bridge, 'nodad');
    }
    const namespace = `${lab.prefix}-x${index + 1}`;
    await lab.addNamespace(namespace);
    await ip(ul, 'link', 'add', `x${index + 1}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', namespace);
    await ip(ul, 'link', 'set', `x${index + 1}`, 'master', bridge, 'up');
    await ip(namespace, 'addr', 'add', `${address}/24`, 'dev', 'eth0');
    await ip(namespace, 'link', 'set', 'eth0', 'up');
    await ip(namespace, 'route', 'add', 'default', 'via', externalGateway(address));
    await ip6(namespace, 'addr', 'add', `${externalIP6(address)}/64`, 'dev', 'eth0', 'nodad');
    await ip6(namespace, 'route', 'add', 'default', 'via', externalGateway6(address));
    // Started together, awaited once: a node process takes a second or more to start in a TCG guest. The
    // catch keeps a later failure from going unhandled when a command below throws before the await.
    const server = lab.startServer(namespace, port, { ipv6: v6 });
    server.catch(() => undefined);
    servers.push(server);
    lab.externals.push({
      name: `external-${index + 1}`,
      namespace,
      ip: address,
      ...(v6 ? { ip6: externalIP6(address) } : {}),
      port,
    });
  }
  await Promise.all(servers);
}

const OUR_PROCESSES = [
  'tcp-source-',
  'connection-loop',
  'probe-agent',
  'packages/testing/dist/src/cli/',
  'packages/core/dist/src/cli/',
];

/** Removes the namespaces (and our server processes in them) left by a crashed run with this prefix. */
export async function destroyStale(prefix: string, host: LabHost = localHost): Promise<string[]> {
  const run = host.run.bind(host);
  const listed = await run('ip', ['netns', 'list'], { allowFailure: true });
  const stale = listed.stdout
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    // The lab's own namespaces, and `<prefix>-api`, where the demo (scripts/demo) runs its API server.
    .filter((name) => new RegExp(`^${prefix}-(ul|api|n\\d+(-p\\d+)?|x\\d+)$`).test(name));
  for (const namespace of stale) {
    const pids = await run('ip', ['netns', 'pids', namespace], { allowFailure: true });
    for (const pid of pids.stdout
      .split('\n')
      .filter((line) => /^\d+$/.test(line))
      .map(Number)) {
      // Only processes of this repository (lab servers and clients, the demo's API server and agents);
      // anything else in there is not ours to stop.
      const commandLine = await run('cat', [`/proc/${pid}/cmdline`], { allowFailure: true });
      if (!OUR_PROCESSES.some((marker) => commandLine.stdout.includes(marker))) continue;
      if (host === localHost) process.kill(pid, 'SIGKILL');
      else await run('kill', ['-KILL', String(pid)], { allowFailure: true });
    }
    await run('ip', ['netns', 'del', namespace], { allowFailure: true });
  }
  return stale;
}
