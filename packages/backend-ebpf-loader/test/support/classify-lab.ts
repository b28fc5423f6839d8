// Four namespaces for the classifier: a pod, its node (egp_classify at tc ingress of the pod veth's node
// side) and the node's two uplinks: `ext`, where its routes send outside traffic, and `gw`, the gateway.
// The outside addresses live behind both, with a server on EXT_PORT in ext and on GW_PORT in gw, so an
// answer on GW_PORT proves the packet reached gw by redirect, not by the node's routing. Nothing here
// touches the root network namespace; pins live on a bpffs mounted for the run (/sys/fs/bpf may be absent).
import { mkdtemp, rm } from 'node:fs/promises';
import { Lab, run } from '@egress-proxier/netlab';
import { loadAndAttach, mapDelete, mapUpdate } from './bpf-node.js';

export const EXT_PORT = 8080;
export const GW_PORT = 8081;
export const POD = '10.244.1.2';
export const POD6 = 'fd00:10:244:1::2';
export const NODE_POD_SIDE = '10.244.1.1';
export const GW = '192.0.2.2';
export const GW6 = 'fd00:192:2::2';
export const MAPS = ['egp_policy4', 'egp_policy6', 'egp_cluster4', 'egp_cluster6'] as const;
export type MapName = (typeof MAPS)[number];

/** A bpffs of our own: pins under it vanish with release(), and nothing outside the test sees them. */
export async function mountBpffs(tag: string): Promise<{ dir: string; release(): Promise<void> }> {
  const dir = await mkdtemp(`/tmp/egp-test-${tag}-`);
  await run('mount', ['-t', 'bpf', 'bpf', dir]);
  return {
    dir,
    async release() {
      await run('umount', [dir], { allowFailure: true });
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export class ClassifyLab {
  readonly pod: string;
  readonly node: string;
  readonly gw: string;
  readonly ext: string;
  readonly lab: Lab;
  gatewayIfindex = 0;
  private bpffs?: { dir: string; release(): Promise<void> };

  constructor(readonly prefix: string) {
    this.pod = `${prefix}-pod`;
    this.node = `${prefix}-node`;
    this.gw = `${prefix}-gw`;
    this.ext = `${prefix}-ext`;
    this.lab = new Lab(prefix);
  }

  get maps(): string {
    return `${this.bpffs?.dir}/maps`;
  }

  /** In the node's network namespace (ip route get and the like). */
  nodeTool(command: string, args: readonly string[]) {
    return this.lab.exec(this.node, command, [...args]);
  }

  mapUpdate(map: MapName, key: string[], value: string[]) {
    return mapUpdate(this.maps, map, key, value);
  }

  mapDelete(map: MapName, key: string[]) {
    return mapDelete(this.maps, map, key);
  }

  connect(to: string, port: number, timeoutMs = 3000): Promise<string> {
    return this.lab.connectFrom(this.pod, to, port, timeoutMs);
  }

  async create(object: string): Promise<void> {
    const ip = (namespace: string, ...args: string[]) => this.lab.exec(namespace, 'ip', args);
    const sysctl = (namespace: string, ...settings: string[]) =>
      this.lab.exec(namespace, 'sysctl', ['-q', ...settings.flatMap((setting) => ['-w', setting])]);
    for (const namespace of [this.pod, this.node, this.gw, this.ext]) {
      await run('ip', ['netns', 'del', namespace], { allowFailure: true }); // a crashed run's leftovers
      await this.lab.addNamespace(namespace);
      // Before any link exists, so every link inherits it: no DAD (nothing else is on these links) and
      // no reverse-path filter (gw's answers come back on the uplink the node's routes do not use).
      await sysctl(namespace, 'net.ipv6.conf.default.accept_dad=0', 'net.ipv6.conf.all.accept_dad=0');
      await sysctl(namespace, 'net.ipv4.conf.default.rp_filter=0', 'net.ipv4.conf.all.rp_filter=0');
    }
    const link = async (local: string, peer: string, addresses: string[], peerAddresses: string[]) => {
      await ip(this.node, 'link', 'add', local, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', peer);
      for (const address of addresses) await ip(this.node, 'addr', 'add', address, 'dev', local, 'nodad');
      for (const address of peerAddresses) await ip(peer, 'addr', 'add', address, 'dev', 'eth0', 'nodad');
      await ip(this.node, 'link', 'set', local, 'up');
      await ip(peer, 'link', 'set', 'eth0', 'up');
    };
    await sysctl(this.node, 'net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1');
    await link('vp', this.pod, ['10.244.1.1/24', 'fd00:10:244:1::1/64'], [`${POD}/24`, `${POD6}/64`]);
    await link('ug', this.gw, ['192.0.2.1/24', 'fd00:192:2::1/64'], [`${GW}/24`, `${GW6}/64`]);
    await link(
      'ux',
      this.ext,
      ['198.18.0.1/24', 'fd00:198:18::1/64'],
      ['198.18.0.2/24', 'fd00:198:18::2/64'],
    );
    await ip(this.pod, 'route', 'add', 'default', 'via', NODE_POD_SIDE);
    await ip(this.pod, '-6', 'route', 'add', 'default', 'via', 'fd00:10:244:1::1');
    await ip(this.node, 'route', 'add', 'default', 'via', '198.18.0.2');
    await ip(this.node, '-6', 'route', 'add', 'default', 'via', 'fd00:198:18::2');
    for (const [namespace, node4, node6] of [
      [this.gw, '192.0.2.1', 'fd00:192:2::1'],
      [this.ext, '198.18.0.1', 'fd00:198:18::1'],
    ] as const) {
      for (const address of [
        '203.0.113.10/32',
        '198.51.100.10/32',
        '2001:db8:1::10/128',
        '2001:db8:2::10/128',
      ])
        await ip(namespace, 'addr', 'add', address, 'dev', 'lo');
      await ip(namespace, 'route', 'add', '10.244.0.0/16', 'via', node4);
      await ip(namespace, '-6', 'route', 'add', 'fd00:10:244::/48', 'via', node6);
    }
    await this.lab.startServer(this.ext, EXT_PORT, { ipv6: true });
    await this.lab.startServer(this.gw, GW_PORT, { ipv6: true });
    await this.lab.startServer(this.node, EXT_PORT, { ipv6: true });
    const [uplink] = JSON.parse((await ip(this.node, '-j', 'link', 'show', 'ug')).stdout) as {
      ifindex: number;
    }[];
    this.gatewayIfindex = uplink?.ifindex ?? 0;

    this.bpffs = await mountBpffs(this.prefix);
    await loadAndAttach(this.node, this.bpffs.dir, object, [['vp', 'egp_classify']]);
  }

  /** Servers, namespaces (and with them the veths and tc filters), then the pins. Safe to call twice. */
  async destroy(): Promise<void> {
    await this.lab.destroy();
    await this.bpffs?.release();
    this.bpffs = undefined;
  }
}

export async function createClassifyLab(prefix: string, object: string): Promise<ClassifyLab> {
  const lab = new ClassifyLab(prefix);
  try {
    await lab.create(object);
  } catch (error) {
    await lab.destroy();
    throw error;
  }
  return lab;
}
