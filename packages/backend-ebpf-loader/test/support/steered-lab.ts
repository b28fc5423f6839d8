// Two nodes for the steered SNAT test, dual-stack. A source node with one pod (egp_classify at tc ingress of the
// pod veth's node side) and a gateway node (egp_uplink_in at tc ingress of its uplink) share an underlay, a
// bridge in a namespace of its own, with `out`, which holds the remote 203.0.113.10 / 2001:db8:113::10 and a
// peer reporting the address and port it sees. Each node loads the object into its own pin dir (its own maps)
// and has CNI-like masquerade rules (iptables-nft, ip6tables-nft). `out` routes only the egress IPs'
// 192.0.2.0/24 and 2001:db8:2::/64, to the gateway node, and nothing of the pods: an untranslated packet's
// reply gets nowhere. The gateway routes the source node's pod ranges to it. Nothing here touches the root
// network namespace; pins live on a bpffs mounted for the run.
import { Lab, run } from '@egress-proxier/netlab';
import type { MapContent } from '../../src/maps/desired-maps.js';
import { loadAndAttach, mapContent, mapDelete, mapDump, mapUpdate, type NodeMap } from './bpf-node.js';
import { mountBpffs } from './classify-lab.js';
import { PEER, startPeer } from './peer-process.js';

export const POD = '10.244.2.2';
export const POD6 = 'fd00:10:244:2::2';
export const REMOTE = '203.0.113.10';
export const REMOTE6 = '2001:db8:113::10';
export const REMOTE_PORT = 8080;
export const EGRESS_IP = '192.0.2.100';
export const EGRESS_IP6 = '2001:db8:2::100';
export const SOURCE_NODE_IP = '198.18.0.11'; // the source node's underlay address: what its masquerade writes
export const SOURCE_NODE_IP6 = '2001:db8:18::11';
export const GATEWAY_NODE_IP = '198.18.0.12';
export const GATEWAY_NODE_IP6 = '2001:db8:18::12';
const OUT_IP = '198.18.0.2';
const OUT_IP6 = '2001:db8:18::2';
export type NodeName = 'source' | 'gateway';
export type NatMap = NodeMap;

export class SteeredLab {
  readonly namespaces: Record<NodeName | 'pod' | 'out' | 'underlay', string>;
  readonly lab: Lab;
  /** Each node's underlay device (its uplink), as the STEER and LOCAL entries name it. */
  readonly uplinkIfindex: Record<NodeName, number> = { source: 0, gateway: 0 };
  private bpffs?: { dir: string; release(): Promise<void> };

  constructor(readonly prefix: string) {
    this.namespaces = {
      source: `${prefix}-src`,
      gateway: `${prefix}-gwn`,
      pod: `${prefix}-pod`,
      out: `${prefix}-out`,
      underlay: `${prefix}-ul`,
    };
    this.lab = new Lab(prefix);
  }

  maps(node: NodeName): string {
    return `${this.bpffs?.dir}/${node}/maps`;
  }

  mapUpdate(node: NodeName, map: NatMap, key: string[], value: string[]) {
    return mapUpdate(this.maps(node), map, key, value);
  }

  mapDelete(node: NodeName, map: NatMap, key: string[]) {
    return mapDelete(this.maps(node), map, key);
  }

  mapDump(node: NodeName, map: NatMap): Promise<{ key: string[]; value: string[] }[]> {
    return mapDump(this.maps(node), map);
  }

  /** A map's content as the loader reads it (hex key → hex value), for the src/nat decoders. */
  mapDumpRaw(node: NodeName, map: NatMap): Promise<MapContent> {
    return mapContent(this.maps(node), map);
  }

  /** One message from the pod over TCP or UDP; resolves with "<address> <port> <message>" as `out` saw it. */
  async send(
    protocol: 'tcp' | 'udp',
    localPort = 0,
    message = 'hello',
    to: string = REMOTE,
  ): Promise<string> {
    const args = [PEER, protocol, to, String(REMOTE_PORT), String(localPort), message, '3000'];
    const result = await this.lab.exec(this.namespaces.pod, process.execPath, args, {
      allowFailure: true,
      timeoutMs: 8000,
    });
    if (result.exitCode !== 0)
      throw new Error(
        `${protocol} from the pod to ${to}:${REMOTE_PORT} failed: ${result.stderr.trim() || 'no answer'}`,
      );
    return result.stdout.trim();
  }

  async create(object: string): Promise<void> {
    const { source, gateway, pod, out, underlay } = this.namespaces;
    const ip = (namespace: string, ...args: string[]) => this.lab.exec(namespace, 'ip', args);
    const sysctl = (namespace: string, ...settings: string[]) =>
      this.lab.exec(namespace, 'sysctl', ['-q', ...settings.flatMap((setting) => ['-w', setting])]);
    for (const namespace of [pod, source, gateway, out, underlay]) {
      await run('ip', ['netns', 'del', namespace], { allowFailure: true }); // a crashed run's leftovers
      await this.lab.addNamespace(namespace);
      await sysctl(
        namespace,
        'net.ipv4.conf.default.rp_filter=0',
        'net.ipv4.conf.all.rp_filter=0',
        'net.ipv6.conf.default.accept_dad=0',
        'net.ipv6.conf.all.accept_dad=0',
      );
    }
    for (const node of [source, gateway])
      await sysctl(node, 'net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1');
    // The underlay: a bridge with the two nodes' and out's eth0 on it.
    await ip(underlay, 'link', 'add', 'br0', 'type', 'bridge');
    await ip(underlay, 'link', 'set', 'br0', 'up');
    for (const [port, namespace, address, address6] of [
      ['s', source, SOURCE_NODE_IP, SOURCE_NODE_IP6],
      ['g', gateway, GATEWAY_NODE_IP, GATEWAY_NODE_IP6],
      ['o', out, OUT_IP, OUT_IP6],
    ] as const) {
      await ip(underlay, 'link', 'add', port, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', namespace);
      await ip(underlay, 'link', 'set', port, 'master', 'br0', 'up');
      await ip(namespace, 'addr', 'add', `${address}/24`, 'dev', 'eth0');
      await ip(namespace, 'addr', 'add', `${address6}/64`, 'dev', 'eth0', 'nodad');
      await ip(namespace, 'link', 'set', 'eth0', 'up');
    }
    // The pod on the source node, a point-to-point veth as Calico does it.
    await ip(source, 'link', 'add', 'vp1', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', pod);
    await ip(source, 'addr', 'add', '10.244.2.1/32', 'dev', 'vp1');
    await ip(pod, 'addr', 'add', `${POD}/32`, 'dev', 'eth0');
    await ip(source, 'link', 'set', 'vp1', 'up');
    await ip(pod, 'link', 'set', 'eth0', 'up');
    await ip(source, 'route', 'add', `${POD}/32`, 'dev', 'vp1', 'scope', 'link');
    await ip(pod, 'route', 'add', '10.244.2.1/32', 'dev', 'eth0', 'scope', 'link');
    await ip(pod, 'route', 'add', 'default', 'via', '10.244.2.1');
    await ip(source, 'addr', 'add', 'fd00:10:244:2::1/128', 'dev', 'vp1', 'nodad');
    await ip(pod, 'addr', 'add', `${POD6}/128`, 'dev', 'eth0', 'nodad');
    await ip(source, '-6', 'route', 'add', `${POD6}/128`, 'dev', 'vp1');
    await ip(pod, '-6', 'route', 'add', 'fd00:10:244:2::1/128', 'dev', 'eth0');
    await ip(pod, '-6', 'route', 'add', 'default', 'via', 'fd00:10:244:2::1');
    // Both nodes' own routes send outside traffic straight to out; only the STEER entry sends it to the gateway.
    await ip(source, 'route', 'add', 'default', 'via', OUT_IP);
    await ip(gateway, 'route', 'add', 'default', 'via', OUT_IP);
    await ip(source, '-6', 'route', 'add', 'default', 'via', OUT_IP6);
    await ip(gateway, '-6', 'route', 'add', 'default', 'via', OUT_IP6);
    await ip(gateway, 'route', 'add', '10.244.2.0/24', 'via', SOURCE_NODE_IP);
    await ip(gateway, '-6', 'route', 'add', 'fd00:10:244:2::/64', 'via', SOURCE_NODE_IP6);
    await ip(gateway, 'addr', 'add', `${EGRESS_IP}/32`, 'dev', 'eth0');
    // Deprecated from the start, as the node kit adds IPv6 egress IPs: source selection never picks it.
    await ip(gateway, 'addr', 'add', `${EGRESS_IP6}/128`, 'dev', 'eth0', 'nodad', 'preferred_lft', '0');
    await ip(out, 'addr', 'add', `${REMOTE}/32`, 'dev', 'lo');
    await ip(out, 'addr', 'add', `${REMOTE6}/128`, 'dev', 'lo');
    await ip(out, 'route', 'add', '192.0.2.0/24', 'via', GATEWAY_NODE_IP);
    await ip(out, '-6', 'route', 'add', '2001:db8:2::/64', 'via', GATEWAY_NODE_IP6);
    for (const node of [source, gateway]) {
      await this.lab.exec(node, 'iptables-nft', [
        ...['-t', 'nat', '-A', 'POSTROUTING', '-s', '10.244.0.0/16', '!', '-d', '10.244.0.0/16'],
        ...['-j', 'MASQUERADE'],
      ]);
      await this.lab.exec(node, 'ip6tables-nft', [
        ...['-t', 'nat', '-A', 'POSTROUTING', '-s', 'fd00:10:244::/48', '!', '-d', 'fd00:10:244::/48'],
        ...['-j', 'MASQUERADE'],
      ]);
    }
    await startPeer(this.lab, out, REMOTE_PORT, [REMOTE, REMOTE6]);
    for (const node of ['source', 'gateway'] as const) {
      const [uplink] = JSON.parse((await ip(this.namespaces[node], '-j', 'link', 'show', 'eth0')).stdout) as {
        ifindex: number;
      }[];
      this.uplinkIfindex[node] = uplink?.ifindex ?? 0;
    }

    this.bpffs = await mountBpffs(this.prefix);
    for (const [node, device, program] of [
      ['source', 'vp1', 'egp_classify'],
      ['gateway', 'eth0', 'egp_uplink_in'],
    ] as const) {
      await loadAndAttach(this.namespaces[node], `${this.bpffs.dir}/${node}`, object, [[device, program]]);
    }
  }

  /** The peer, the namespaces (and with them veths, bridge, tc filters, iptables rules), then the pins. */
  async destroy(): Promise<void> {
    await this.lab.destroy();
    await this.bpffs?.release();
    this.bpffs = undefined;
  }
}

export async function createSteeredLab(prefix: string, object: string): Promise<SteeredLab> {
  const lab = new SteeredLab(prefix);
  try {
    await lab.create(object);
  } catch (error) {
    await lab.destroy();
    throw error;
  }
  return lab;
}
