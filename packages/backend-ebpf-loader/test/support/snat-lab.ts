// The gateway node of the SNAT test: three pod namespaces behind veths into the node (egp_classify at tc
// ingress of each veth's node side), the node's uplink to `out` (egp_uplink_in at its tc ingress) and, in
// the node only, a CNI-like masquerade rule (iptables-nft) that our SNAT must get ahead of. `out` holds the
// remote 203.0.113.10, with a peer reporting the address and port it sees, and routes only the egress IPs'
// 192.0.2.0/24 back to the node, not the pods: an untranslated packet's reply gets nowhere. Nothing here
// touches the root network namespace; pins live on a bpffs mounted for the run.
import { fileURLToPath } from 'node:url';
import { Lab, run } from '@egress-proxier/netlab';
import { loadAndAttach, mapDump, mapUpdate } from './bpf-node.js';
import { mountBpffs } from './classify-lab.js';

export const PODS = ['10.244.1.2', '10.244.1.3', '10.244.1.4'] as const;
export const REMOTE = '203.0.113.10';
export const REMOTE_PORT = 8080;
export const EGRESS_IP = '192.0.2.100';
export const NODE_UPLINK_IP = '198.18.0.1'; // what the masquerade rule rewrites to
const OUT_IP = '198.18.0.2';
const PEER = fileURLToPath(new URL('snat-peer.js', import.meta.url));
export type NatMap = 'egp_policy4' | 'egp_cluster4' | 'egp_nat4_fwd' | 'egp_nat4_rev';

export class SnatLab {
  readonly node: string;
  readonly out: string;
  readonly pods: string[];
  readonly lab: Lab;
  uplinkIfindex = 0;
  private bpffs?: { dir: string; release(): Promise<void> };

  constructor(readonly prefix: string) {
    this.node = `${prefix}-node`;
    this.out = `${prefix}-out`;
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

  /** One message from pod `index` (0-based) over TCP or UDP; resolves with "<address> <port> <message>". */
  async send(protocol: 'tcp' | 'udp', index: number, localPort = 0, message = 'hello'): Promise<string> {
    const pod = this.pods[index] ?? '';
    const args = [PEER, protocol, REMOTE, String(REMOTE_PORT), String(localPort), message, '3000'];
    const result = await this.lab.exec(pod, process.execPath, args, { allowFailure: true, timeoutMs: 8000 });
    if (result.exitCode !== 0)
      throw new Error(
        `${protocol} from ${pod} to ${REMOTE}:${REMOTE_PORT} failed: ${result.stderr.trim() || 'no answer'}`,
      );
    return result.stdout.trim();
  }

  /** One ICMP echo request with `id` from pod `index` over a raw socket; resolves with the reply's source. */
  async ping(index: number, id: number): Promise<string> {
    const script = [
      'import socket, struct, sys, time',
      'host, ident = sys.argv[1], int(sys.argv[2])',
      'def csum(b):',
      '    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))',
      '    s = (s >> 16) + (s & 0xffff); s += s >> 16',
      '    return ~s & 0xffff',
      'body = struct.pack("!BBHHH", 8, 0, 0, ident, 1) + b"egress-proxier!!"',
      'body = body[:2] + struct.pack("!H", csum(body)) + body[4:]',
      's = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)',
      's.settimeout(3); s.sendto(body, (host, 0)); end = time.time() + 3',
      'while time.time() < end:',
      '    data, peer = s.recvfrom(2048); icmp = data[(data[0] & 15) * 4:]',
      '    if icmp[0] == 0 and struct.unpack("!H", icmp[4:6])[0] == ident and csum(icmp) == 0:',
      '        print(peer[0]); sys.exit(0)',
      'sys.exit("no echo reply")',
    ].join('\n');
    const pod = this.pods[index] ?? '';
    const result = await this.lab.exec(pod, '/usr/bin/python3', ['-c', script, REMOTE, String(id)], {
      allowFailure: true,
      timeoutMs: 8000,
    });
    if (result.exitCode !== 0)
      throw new Error(`ping from ${pod} to ${REMOTE} failed: ${result.stderr.trim() || 'no answer'}`);
    return result.stdout.trim();
  }

  async create(object: string): Promise<void> {
    const ip = (namespace: string, ...args: string[]) => this.lab.exec(namespace, 'ip', args);
    const sysctl = (namespace: string, ...settings: string[]) =>
      this.lab.exec(namespace, 'sysctl', ['-q', ...settings.flatMap((setting) => ['-w', setting])]);
    for (const namespace of [...this.pods, this.node, this.out]) {
      await run('ip', ['netns', 'del', namespace], { allowFailure: true }); // a crashed run's leftovers
      await this.lab.addNamespace(namespace);
      await sysctl(namespace, 'net.ipv4.conf.default.rp_filter=0', 'net.ipv4.conf.all.rp_filter=0');
    }
    await sysctl(this.node, 'net.ipv4.ip_forward=1');
    // Point-to-point pod veths (as Calico does): the node side has the pods' gateway 10.244.1.1/32 on each.
    for (const [index, address] of PODS.entries()) {
      const pod = this.pods[index] ?? '';
      const device = `vp${index + 1}`;
      await ip(this.node, 'link', 'add', device, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', pod);
      await ip(this.node, 'addr', 'add', '10.244.1.1/32', 'dev', device);
      await ip(pod, 'addr', 'add', `${address}/32`, 'dev', 'eth0');
      await ip(this.node, 'link', 'set', device, 'up');
      await ip(pod, 'link', 'set', 'eth0', 'up');
      await ip(this.node, 'route', 'add', `${address}/32`, 'dev', device, 'scope', 'link');
      await ip(pod, 'route', 'add', '10.244.1.1/32', 'dev', 'eth0', 'scope', 'link');
      await ip(pod, 'route', 'add', 'default', 'via', '10.244.1.1');
    }
    await ip(this.node, 'link', 'add', 'upl', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', this.out);
    await ip(this.node, 'addr', 'add', `${NODE_UPLINK_IP}/24`, 'dev', 'upl');
    await ip(this.node, 'addr', 'add', `${EGRESS_IP}/32`, 'dev', 'upl');
    await ip(this.out, 'addr', 'add', `${OUT_IP}/24`, 'dev', 'eth0');
    await ip(this.out, 'addr', 'add', `${REMOTE}/32`, 'dev', 'lo');
    await ip(this.node, 'link', 'set', 'upl', 'up');
    await ip(this.out, 'link', 'set', 'eth0', 'up');
    await ip(this.node, 'route', 'add', 'default', 'via', OUT_IP);
    await ip(this.out, 'route', 'add', '192.0.2.0/24', 'via', NODE_UPLINK_IP);
    // The CNI's masquerade, in the node's namespace only.
    await this.lab.exec(this.node, 'iptables-nft', [
      ...['-t', 'nat', '-A', 'POSTROUTING', '-s', '10.244.0.0/16', '!', '-d', '10.244.0.0/16'],
      ...['-j', 'MASQUERADE'],
    ]);
    await this.startPeer();
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

  private async startPeer(): Promise<void> {
    const child = this.lab.spawn(this.out, process.execPath, [PEER, 'serve', String(REMOTE_PORT), REMOTE]);
    await new Promise<void>((resolve, reject) => {
      let output = '';
      const timer = setTimeout(
        () => reject(new Error(`peer in ${this.out} did not start: ${output}`)),
        10_000,
      );
      child.stdout?.on('data', (data: Buffer) => {
        output += data.toString();
        if (output.includes('listening')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.stderr?.on('data', (data: Buffer) => (output += data.toString()));
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`peer in ${this.out} exited with ${code}: ${output}`));
      });
    });
  }

  /** The peer, the namespaces (and with them veths, tc filters, the iptables rule), then the pins. Safe twice. */
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
