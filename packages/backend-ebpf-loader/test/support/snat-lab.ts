// The gateway node of the SNAT tests, dual-stack: three pod namespaces behind veths into the node (egp_classify
// at tc ingress of each veth's node side), the node's uplink to `out` (egp_uplink_in at its tc ingress) and, in
// the node only, CNI-like masquerade rules (iptables-nft, ip6tables-nft) that our SNAT must get ahead of. `out`
// holds the remote 203.0.113.10 / 2001:db8:113::10, with a peer reporting the address and port it sees, and
// routes only the egress IPs' 192.0.2.0/24 and 2001:db8:2::/64 back to the node, not the pods: an untranslated
// packet's reply gets nowhere. `out` is also a router to `far` (198.51.100.10 / 2001:db8:51:1::10), one hop
// further over a link of FAR_LINK_MTU: a packet with one hop left expires at `out`, and one bigger than that MTU
// cannot go on; either way `out` answers with an ICMP error from its own address (ROUTER). ICMP rate limits are
// off in `node` and `out`. Nothing here touches the root network namespace; pins
// live on a bpffs mounted for the run.
import { existsSync } from 'node:fs';
import { Lab, run } from '@egress-proxier/netlab';
import type { MapContent } from '../../src/maps/desired-maps.js';
import { loadAndAttach, mapContent, mapDump, mapUpdate, type NodeMap } from './bpf-node.js';
import { mountBpffs } from './classify-lab.js';
import { ICMP_PROBE, PEER, startPeer } from './peer-process.js';

export const PODS = ['10.244.1.2', '10.244.1.3', '10.244.1.4'] as const;
export const PODS6 = ['fd00:10:244:1::2', 'fd00:10:244:1::3', 'fd00:10:244:1::4'] as const;
export const REMOTE = '203.0.113.10';
export const REMOTE6 = '2001:db8:113::10';
export const FAR = '198.51.100.10';
export const FAR6 = '2001:db8:51:1::10';
export const REMOTE_PORT = 8080;
export const FAR_LINK_MTU = 1280;
export const EGRESS_IP = '192.0.2.100';
export const EGRESS_IP6 = '2001:db8:2::100';
export const NODE_UPLINK_IP = '198.18.0.1'; // what the masquerade rule rewrites to
export const NODE_UPLINK_IP6 = '2001:db8:18::1';
/** `out`'s address towards the node: the source of its ICMP errors. */
export const ROUTER = '198.18.0.2';
export const ROUTER6 = '2001:db8:18::2';
export type NatMap = NodeMap;

/** What icmp-probe.py prints: an echo reply or an ICMP error as the pod received it, checksums verified. */
export interface IcmpSeen {
  kind: 'reply' | 'error';
  from: string;
  type: number;
  code: number;
  innerSource?: string;
  innerDestination?: string;
  innerProtocol?: number;
  innerPort?: number;
  checksums: { icmp: boolean; innerIp?: boolean; innerL4?: boolean };
}

/** What icmp-probe.py's udp-socket mode prints: the error queued on the pod's UDP socket. */
export interface SocketError {
  errno: number;
  origin: number;
  type: number;
  code: number;
  /** ee_info: the MTU of a "fragmentation needed" or "packet too big". */
  info: number;
  offender: string;
  localPort: number;
}

const familyOf = (address: string) => (address.includes(':') ? 6 : 4);

export class SnatLab {
  readonly node: string;
  readonly out: string;
  readonly far: string;
  readonly pods: string[];
  readonly lab: Lab;
  uplinkIfindex = 0;
  private bpffs?: { dir: string; release(): Promise<void> };

  constructor(readonly prefix: string) {
    this.node = `${prefix}-node`;
    this.out = `${prefix}-out`;
    this.far = `${prefix}-far`;
    this.pods = PODS.map((_, index) => `${prefix}-p${index + 1}`);
    this.lab = new Lab(prefix);
  }

  get maps(): string {
    return `${this.bpffs?.dir}/maps`;
  }

  mapUpdate(map: NatMap, key: string[], value: string[]) {
    return mapUpdate(this.maps, map, key, value);
  }

  mapDump(map: NatMap): Promise<{ key: string[]; value: string[] }[]> {
    return mapDump(this.maps, map);
  }

  /** A map's content as the loader reads it (hex key → hex value), for the src/nat decoders. */
  mapDumpRaw(map: NatMap): Promise<MapContent> {
    return mapContent(this.maps, map);
  }

  /** One message from pod `index` (0-based) over TCP or UDP; resolves with "<address> <port> <message>". */
  async send(
    protocol: 'tcp' | 'udp',
    index: number,
    localPort = 0,
    message = 'hello',
    to: string = REMOTE,
  ): Promise<string> {
    const pod = this.pods[index] ?? '';
    const args = [PEER, protocol, to, String(REMOTE_PORT), String(localPort), message, '3000'];
    const result = await this.lab.exec(pod, process.execPath, args, { allowFailure: true, timeoutMs: 8000 });
    if (result.exitCode !== 0)
      throw new Error(
        `${protocol} from ${pod} to ${to}:${REMOTE_PORT} failed: ${result.stderr.trim() || 'no answer'}`,
      );
    return result.stdout.trim();
  }

  /** One ICMP echo request with `id` from pod `index` (to REMOTE); resolves with the reply's source. */
  async ping(index: number, id: number, to: string = REMOTE): Promise<string> {
    const seen = await this.echo(index, id, to);
    if (seen.kind !== 'reply' || !seen.checksums.icmp)
      throw new Error(`ping from pod ${index + 1} to ${to}: ${JSON.stringify(seen)}`);
    return seen.from;
  }

  /** An echo request with `id` and `ttl` from pod `index`: the reply or error the pod got back. */
  echo(index: number, id: number, to: string, ttl = 64): Promise<IcmpSeen> {
    const family = familyOf(to);
    return this.probe<IcmpSeen>(index, [
      'echo',
      String(family),
      this.podAddress(index, family),
      to,
      String(id),
      String(ttl),
    ]);
  }

  /** A UDP datagram from `sport` with `ttl` from pod `index` (raw socket, full checksum): the ICMP error about it. */
  udpError(index: number, to: string, port: number, sport: number, ttl = 64): Promise<IcmpSeen> {
    const family = familyOf(to);
    const local = this.podAddress(index, family);
    return this.probe<IcmpSeen>(index, [
      'udp-raw',
      String(family),
      local,
      to,
      String(port),
      String(sport),
      String(ttl),
    ]);
  }

  /** A `size`-byte datagram (never fragmented) from a UDP socket of pod `index` with IP_RECVERR: the error the
   * kernel queued on it. */
  udpSocketError(index: number, to: string, port: number, ttl = 64, size = 32): Promise<SocketError> {
    const args = ['udp-socket', String(familyOf(to)), to, String(port), String(ttl), String(size)];
    return this.probe<SocketError>(index, args);
  }

  podAddress(index: number, family: 4 | 6): string {
    return (family === 4 ? PODS : PODS6)[index] ?? '';
  }

  private async probe<T>(index: number, args: string[]): Promise<T> {
    const pod = this.pods[index] ?? '';
    // Debian's python3 by path: a version manager's shim on PATH may not run inside a lab namespace.
    if (!existsSync('/usr/bin/python3'))
      throw new Error(
        '/usr/bin/python3 is missing (the ICMP probe): install python3 (scripts/setup.sh does)',
      );
    const result = await this.lab.exec(pod, '/usr/bin/python3', [ICMP_PROBE, ...args], {
      allowFailure: true,
      timeoutMs: 8000,
    });
    if (result.exitCode !== 0)
      throw new Error(
        `icmp-probe ${args.join(' ')} in ${pod} failed: ${result.stderr.trim() || 'no output'}`,
      );
    return JSON.parse(result.stdout) as T;
  }

  async create(object: string): Promise<void> {
    const ip = (namespace: string, ...args: string[]) => this.lab.exec(namespace, 'ip', args);
    const sysctl = (namespace: string, ...settings: string[]) =>
      this.lab.exec(namespace, 'sysctl', ['-q', ...settings.flatMap((setting) => ['-w', setting])]);
    for (const namespace of [...this.pods, this.node, this.out, this.far]) {
      await run('ip', ['netns', 'del', namespace], { allowFailure: true }); // a crashed run's leftovers
      await this.lab.addNamespace(namespace);
      // Before any link exists, so every link inherits them: no DAD (nothing else is on these links).
      await sysctl(
        namespace,
        'net.ipv4.conf.default.rp_filter=0',
        'net.ipv4.conf.all.rp_filter=0',
        'net.ipv6.conf.default.accept_dad=0',
        'net.ipv6.conf.all.accept_dad=0',
      );
    }
    for (const router of [this.node, this.out])
      await sysctl(
        router,
        'net.ipv4.ip_forward=1',
        'net.ipv6.conf.all.forwarding=1',
        'net.ipv4.icmp_ratelimit=0',
        'net.ipv6.icmp.ratelimit=0',
      );
    // Point-to-point pod veths (as Calico does): the node side has the pods' gateway 10.244.1.1/32 (and
    // fd00:10:244:1::1/128) on each.
    for (const [index, address] of PODS.entries()) {
      const pod = this.pods[index] ?? '';
      const address6 = PODS6[index] ?? '';
      const device = `vp${index + 1}`;
      await ip(this.node, 'link', 'add', device, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', pod);
      await ip(this.node, 'addr', 'add', '10.244.1.1/32', 'dev', device);
      await ip(this.node, 'addr', 'add', 'fd00:10:244:1::1/128', 'dev', device, 'nodad');
      await ip(pod, 'addr', 'add', `${address}/32`, 'dev', 'eth0');
      await ip(pod, 'addr', 'add', `${address6}/128`, 'dev', 'eth0', 'nodad');
      await ip(this.node, 'link', 'set', device, 'up');
      await ip(pod, 'link', 'set', 'eth0', 'up');
      await ip(this.node, 'route', 'add', `${address}/32`, 'dev', device, 'scope', 'link');
      await ip(this.node, '-6', 'route', 'add', `${address6}/128`, 'dev', device);
      await ip(pod, 'route', 'add', '10.244.1.1/32', 'dev', 'eth0', 'scope', 'link');
      await ip(pod, 'route', 'add', 'default', 'via', '10.244.1.1');
      await ip(pod, '-6', 'route', 'add', 'fd00:10:244:1::1/128', 'dev', 'eth0');
      await ip(pod, '-6', 'route', 'add', 'default', 'via', 'fd00:10:244:1::1');
    }
    await ip(this.node, 'link', 'add', 'upl', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', this.out);
    await ip(this.node, 'addr', 'add', `${NODE_UPLINK_IP}/24`, 'dev', 'upl');
    await ip(this.node, 'addr', 'add', `${NODE_UPLINK_IP6}/64`, 'dev', 'upl', 'nodad');
    await ip(this.node, 'addr', 'add', `${EGRESS_IP}/32`, 'dev', 'upl');
    // Deprecated from the start, as the node kit adds IPv6 egress IPs: source selection never picks it.
    await ip(this.node, 'addr', 'add', `${EGRESS_IP6}/128`, 'dev', 'upl', 'nodad', 'preferred_lft', '0');
    await ip(this.out, 'addr', 'add', `${ROUTER}/24`, 'dev', 'eth0');
    await ip(this.out, 'addr', 'add', `${ROUTER6}/64`, 'dev', 'eth0', 'nodad');
    await ip(this.out, 'addr', 'add', `${REMOTE}/32`, 'dev', 'lo');
    await ip(this.out, 'addr', 'add', `${REMOTE6}/128`, 'dev', 'lo');
    await ip(this.node, 'link', 'set', 'upl', 'up');
    await ip(this.out, 'link', 'set', 'eth0', 'up');
    await ip(this.node, 'route', 'add', 'default', 'via', ROUTER);
    await ip(this.node, '-6', 'route', 'add', 'default', 'via', ROUTER6);
    await ip(this.out, 'route', 'add', '192.0.2.0/24', 'via', NODE_UPLINK_IP);
    await ip(this.out, '-6', 'route', 'add', '2001:db8:2::/64', 'via', NODE_UPLINK_IP6);
    // One hop further: out — far.
    await ip(this.out, 'link', 'add', 'far', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', this.far);
    await ip(this.out, 'addr', 'add', '198.51.100.1/30', 'dev', 'far');
    await ip(this.out, 'addr', 'add', '2001:db8:51::1/64', 'dev', 'far', 'nodad');
    await ip(this.far, 'addr', 'add', '198.51.100.2/30', 'dev', 'eth0');
    await ip(this.far, 'addr', 'add', '2001:db8:51::2/64', 'dev', 'eth0', 'nodad');
    await ip(this.far, 'addr', 'add', `${FAR}/32`, 'dev', 'lo');
    await ip(this.far, 'addr', 'add', `${FAR6}/128`, 'dev', 'lo');
    await ip(this.out, 'link', 'set', 'far', 'mtu', String(FAR_LINK_MTU), 'up');
    await ip(this.far, 'link', 'set', 'eth0', 'mtu', String(FAR_LINK_MTU), 'up');
    await ip(this.out, 'route', 'add', `${FAR}/32`, 'via', '198.51.100.2');
    await ip(this.out, '-6', 'route', 'add', `${FAR6}/128`, 'via', '2001:db8:51::2');
    await ip(this.far, 'route', 'add', 'default', 'via', '198.51.100.1');
    await ip(this.far, '-6', 'route', 'add', 'default', 'via', '2001:db8:51::1');
    // The CNI's masquerade, in the node's namespace only.
    await this.lab.exec(this.node, 'iptables-nft', [
      ...['-t', 'nat', '-A', 'POSTROUTING', '-s', '10.244.0.0/16', '!', '-d', '10.244.0.0/16'],
      ...['-j', 'MASQUERADE'],
    ]);
    await this.lab.exec(this.node, 'ip6tables-nft', [
      ...['-t', 'nat', '-A', 'POSTROUTING', '-s', 'fd00:10:244::/48', '!', '-d', 'fd00:10:244::/48'],
      ...['-j', 'MASQUERADE'],
    ]);
    await startPeer(this.lab, this.out, REMOTE_PORT, [REMOTE, REMOTE6]);
    const [uplink] = JSON.parse((await ip(this.node, '-j', 'link', 'show', 'upl')).stdout) as {
      ifindex: number;
    }[];
    this.uplinkIfindex = uplink?.ifindex ?? 0;

    this.bpffs = await mountBpffs(this.prefix);
    await loadAndAttach(this.node, this.bpffs.dir, object, [
      ['vp1', 'egp_classify'],
      ['vp2', 'egp_classify'],
      ['vp3', 'egp_classify'],
      ['upl', 'egp_uplink_in'],
    ]);
  }

  /** The peer, the namespaces (and with them veths, tc filters, the iptables rules), then the pins. Safe twice. */
  async destroy(): Promise<void> {
    await this.lab.destroy();
    await this.bpffs?.release();
    this.bpffs = undefined;
  }
}

export async function createSnatLab(prefix: string, object: string): Promise<SnatLab> {
  const lab = new SnatLab(prefix);
  try {
    await lab.create(object);
  } catch (error) {
    await lab.destroy();
    throw error;
  }
  return lab;
}
