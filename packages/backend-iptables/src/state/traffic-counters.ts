// The traffic metrics' counters, read from our chains' rule counters (`iptables -S CHAIN -v` prints them as
// `-c PACKETS BYTES`): nat sees only the first packet of each connection, so its SNAT rules count connections
// (and those first packets' bytes); the mangle accounting chain counts the bytes of every later packet. Both
// restart at zero when a restore rewrites the chain (documented in docs/backend-iptables.md).
import { canonicalIP, type EgressIPTraffic, type IPFamily } from '@egress-proxier/core';
import type { CommandRunner } from '@egress-proxier/node-datapath';
import type { IptablesTools } from '../apply/iptables-flavour.js';
import { CHAINS } from '../names.js';

export async function readEgressCounters(
  runner: CommandRunner,
  tools: IptablesTools,
  families: readonly IPFamily[],
): Promise<Map<string, EgressIPTraffic>> {
  const totals = new Map<string, EgressIPTraffic>();
  const add = (ip: string, connections: number, bytes: number) => {
    const entry = totals.get(ip) ?? { egressIP: ip, connections: 0, bytes: 0 };
    totals.set(ip, {
      egressIP: ip,
      connections: entry.connections + connections,
      bytes: entry.bytes + bytes,
    });
  };
  const listings = families.flatMap((family) =>
    (['nat', 'mangle'] as const).map(async (table) => {
      const chain = table === 'nat' ? CHAINS.postrouting : CHAINS.account;
      const result = await runner.read(
        { command: tools.iptables(family), args: ['-w', '-t', table, '-S', chain, '-v'] },
        { allowedExitCodes: [1] }, // no such chain yet: nothing counted
      );
      return { table, text: result.exitCode === 0 ? result.stdout : '' };
    }),
  );
  for (const { table, text } of await Promise.all(listings))
    for (const counted of countedRules(text, table === 'nat' ? SNAT_TARGET : ACCOUNT_COMMENT)) {
      if (table === 'nat') add(counted.egressIP, counted.packets, counted.bytes);
      else add(counted.egressIP, 0, counted.bytes);
    }
  return totals;
}

const SNAT_TARGET = / -j SNAT --to-source (\S+)/;
const ACCOUNT_COMMENT = / --comment "bytes sent as (\S+)"/;
const COUNTERS = / -c (\d+) (\d+)/;

/** Rules of `-S -v` text whose `pattern` names an egress IP, with their counters. */
export function countedRules(
  text: string,
  pattern: RegExp,
): { egressIP: string; packets: number; bytes: number }[] {
  const counted = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('-A ')) continue;
    const ip = pattern.exec(line)?.[1];
    const counters = COUNTERS.exec(line);
    const egressIP = ip === undefined ? null : canonicalIP(ip.replace(/\/(32|128)$/, ''));
    if (egressIP === null || counters === null) continue;
    counted.push({ egressIP, packets: Number(counters[1]), bytes: Number(counters[2]) });
  }
  return counted;
}
