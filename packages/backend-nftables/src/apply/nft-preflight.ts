// What the nftables backend needs beyond the node kit's tools: nft ≥ 1.0, and a kernel that accepts the table's
// constructs (inet family, concatenated interval maps with verdict and address data, `snat … to … map`, nat
// base chains, counted sets), and conntrack for the traffic readings' port census. The kernel check is `nft -c -f`: the whole transaction is validated by the kernel and then
// aborted, so the host is left as it was (a read, like every preflight probe).
import { commandCheck, type Exec, type PreflightCheck } from '@egress-proxier/core/plugin';
import {
  conntrackCheck,
  SlotLayout,
  steeringDriver,
  type NodeDatapathOptions,
} from '@egress-proxier/node-datapath';
import { buildNftTable } from '../model/build-table.js';
import { fullScript } from '../render/nft-script.js';

const MINIMUM = [1, 0] as const;

export async function nftPreflightChecks(
  exec: Exec,
  options: NodeDatapathOptions,
  signal: AbortSignal,
): Promise<PreflightCheck[]> {
  const version = await commandCheck(exec, {
    name: 'nft (nftables) ≥ 1.0',
    command: 'nft',
    args: ['--version'],
    remedy: 'install nftables 1.0 or newer',
    accept: (result) => versionVerdict(result.stdout),
    signal,
  });
  if (!version.ok) return [version];
  const kernel = await commandCheck(exec, {
    name: 'kernel nftables support (inet table, concatenated interval maps, snat to a map)',
    command: 'nft',
    args: ['-c', '-f', '-'],
    input: probeScript(options),
    remedy:
      'a kernel with nf_tables, nft_set_pipapo (5.6+), nft_nat and nf_tables inet support, and CAP_NET_ADMIN',
    signal,
  });
  return [version, kernel, await conntrackCheck(exec, signal)];
}

/** True when `nft --version` says 1.0 or newer, else why not. */
export function versionVerdict(stdout: string): true | string {
  const match = /v(\d+)\.(\d+)/.exec(stdout);
  if (match === null) return `cannot read a version from "${stdout.trim()}"`;
  const [major, minor] = [Number(match[1]), Number(match[2])];
  if (major > MINIMUM[0] || (major === MINIMUM[0] && minor >= MINIMUM[1])) return true;
  return `nft ${major}.${minor} is older than ${MINIMUM.join('.')}`;
}

/** The table this backend writes, with one element of every kind and a steer slot: every construct it uses. */
function probeScript(options: NodeDatapathOptions): string {
  const slots = [new SlotLayout(options).slot(0, 'probe')];
  const table = buildNftTable(
    { node: 'probe', clusterDestinations: ['10.0.0.0/8', 'fd00::/8'], entries: [] },
    { options, uplink: 'lo', slots, steering: steeringDriver(options, 'lo') },
  );
  const steer = `jump ${table.chains[0]?.name ?? ''}`;
  const sample: Record<string, string> = {
    steer4: `192.0.2.1 . 203.0.113.0/24 : ${steer}`,
    drop4: '192.0.2.2 . 203.0.113.0-203.0.113.9',
    snat4: '192.0.2.3 . 0.0.0.0/0 : 192.0.2.100',
    steer6: `2001:db8::1 . 2001:db8:113::/48 : ${steer}`,
    drop6: '2001:db8::2 . 2001:db8:113::/48',
    snat6: '2001:db8::3 . ::/0 : 2001:db8:2::100',
    sent4: '192.0.2.100',
    opened4: '192.0.2.100',
    sent6: '2001:db8:2::100',
    opened6: '2001:db8:2::100',
  };
  const sets = table.sets.map((set) => ({
    ...set,
    elements: sample[set.name] ? [sample[set.name] as string] : set.elements,
  }));
  return fullScript({ ...table, sets }).replace(/egress-proxier/g, 'egress-proxier-preflight');
}
