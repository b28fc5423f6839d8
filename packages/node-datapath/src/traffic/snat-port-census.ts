// SNAT port use of the egress IPs a netfilter datapath (iptables, nftables, IPVS's gateway) holds, counted
// from the connection tracking table: every tracked connection translated to an egress IP holds one source
// port of it towards its remote address, port and protocol, until conntrack forgets it (TIME_WAIT included).
// One `conntrack -L --src-nat` per family and reading; the cost grows with the table (docs/operating.md,
// "Traffic metrics", has the figures).
import {
  canonicalIP,
  commandCheck,
  type Exec,
  type IPFamily,
  type PreflightCheck,
  type SnatPortUse,
} from '@egress-proxier/core';
import type { CommandRunner } from '../exec/command-runner.js';

/**
 * netfilter's SNAT without a port range keeps a source port ≥ 1024 when it can and otherwise picks another
 * in 1024–65535 (nf_nat_l4proto_unique_tuple): 64,512 ports per egress IP and remote endpoint.
 */
export const NETFILTER_SNAT_PORT_CAPACITY = 65535 - 1024 + 1;

/** How many of the busiest remote endpoints of each egress IP a reading reports. */
const ENDPOINTS_PER_IP = 5;

/**
 * The census needs `conntrack`, and so does carrying established connections over when an egress IP moves
 * (conntrack/connection-carry-over.ts); without it traffic readings fail and those connections break.
 */
export function conntrackCheck(exec: Exec, signal: AbortSignal): Promise<PreflightCheck> {
  return commandCheck(exec, {
    name: 'conntrack (SNAT port use for traffic metrics; established connections following a moved egress IP)',
    command: 'conntrack',
    args: ['--version'],
    remedy:
      'install conntrack (conntrack-tools); without it traffic readings fail (no traffic metrics and no PortsNearExhaustion, or run with --traffic-interval=0s), and connections open through an egress IP that moves break instead of carrying on',
    severity: 'warning',
    signal,
  });
}

export async function readSnatPortUse(
  runner: CommandRunner,
  egressIPs: readonly { ip: string; family: IPFamily }[],
): Promise<SnatPortUse[]> {
  const families = [...new Set(egressIPs.map((hosted) => hosted.family))].sort();
  const hosted = new Set(egressIPs.map((hosted) => hosted.ip));
  const uses: SnatPortUse[] = [];
  for (const family of families) {
    const { stdout } = await runner.read({
      command: 'conntrack',
      args: ['-L', '-f', family === 4 ? 'ipv4' : 'ipv6', '--src-nat'],
    });
    uses.push(...countSnatPorts(stdout, hosted));
  }
  return uses;
}

/**
 * The busiest endpoints per egress IP in `conntrack -L` text. A line is `PROTO NUM [TIMEOUT] [STATE]
 * src=… dst=… sport=… dport=… [flags] src=… dst=… sport=… dport=… …`: the second tuple is the reply, whose
 * source is the remote endpoint and whose destination is the egress IP the connection was translated to.
 */
export function countSnatPorts(text: string, egressIPs: ReadonlySet<string>): SnatPortUse[] {
  const counts = new Map<string, SnatPortUse>();
  // Addresses repeat across entries (a few egress IPs, a few remotes): canonicalise each text once.
  const canonical = new Map<string, string | null>();
  const canonicalOf = (address: string) => {
    let known = canonical.get(address);
    if (known === undefined) canonical.set(address, (known = canonicalIP(address)));
    return known;
  };
  for (const line of text.split('\n')) {
    const protocol = line.startsWith('tcp ') ? 'tcp' : line.startsWith('udp ') ? 'udp' : undefined;
    if (protocol === undefined) continue;
    const reply = replyTuple(line);
    if (reply === undefined) continue;
    const egressIP = canonicalOf(reply.dst);
    const remoteAddress = canonicalOf(reply.src);
    if (egressIP === null || remoteAddress === null || !egressIPs.has(egressIP)) continue;
    const key = `${egressIP} ${protocol} ${remoteAddress} ${reply.sport}`;
    const use = counts.get(key);
    if (use) use.ports++;
    else counts.set(key, { egressIP, protocol, remoteAddress, remotePort: reply.sport, ports: 1 });
  }
  const byIP = new Map<string, SnatPortUse[]>();
  for (const use of counts.values()) byIP.set(use.egressIP, [...(byIP.get(use.egressIP) ?? []), use]);
  return [...byIP.values()].flatMap((uses) =>
    uses.sort((a, b) => b.ports - a.ports).slice(0, ENDPOINTS_PER_IP),
  );
}

function replyTuple(line: string): { src: string; dst: string; sport: number } | undefined {
  const second = line.indexOf(' src=', line.indexOf(' src=') + 1);
  if (second < 0) return undefined;
  const fields = new Map<string, string>();
  for (const word of line.slice(second + 1).split(' ')) {
    const eq = word.indexOf('=');
    if (eq > 0 && !fields.has(word.slice(0, eq))) fields.set(word.slice(0, eq), word.slice(eq + 1));
  }
  const src = fields.get('src');
  const dst = fields.get('dst');
  const sport = Number(fields.get('sport'));
  if (src === undefined || dst === undefined || !Number.isInteger(sport)) return undefined;
  return { src, dst, sport };
}
