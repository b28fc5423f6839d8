// Flushes every EGRESS-PROXIER-* chain of a node by hand, as an operator or another tool might: the rules go,
// the chains and the jumps to them stay (the drift the agent's canary check must notice).
import { runIn } from '@egress-proxier/netlab';

const TABLES = ['nat', 'mangle', 'filter'] as const;

/** Chain names per table that the agent created in this namespace (nft flavour, the lab's). */
export async function ourChains(namespace: string): Promise<Map<string, string[]>> {
  const chains = new Map<string, string[]>();
  for (const table of TABLES) {
    const { stdout } = await runIn(namespace, 'iptables-nft', ['-t', table, '-S']);
    chains.set(
      table,
      stdout
        .split('\n')
        .filter((line) => line.startsWith('-N EGRESS-PROXIER-'))
        .map((line) => line.slice(3).trim()),
    );
  }
  return chains;
}

/** Rule count of our chains in this namespace (the `-A EGRESS-PROXIER-…` lines). */
export async function ourRuleCount(namespace: string): Promise<number> {
  let count = 0;
  for (const table of TABLES) {
    const { stdout } = await runIn(namespace, 'iptables-nft', ['-t', table, '-S']);
    count += stdout.split('\n').filter((line) => line.startsWith('-A EGRESS-PROXIER-')).length;
  }
  return count;
}

/** `-F` of every chain in `chains`, all tables in one iptables-restore --noflush (one instant). */
export async function flushChains(namespace: string, chains: Map<string, string[]>): Promise<void> {
  const input = [...chains]
    .filter(([, names]) => names.length > 0)
    .map(([table, names]) => [`*${table}`, ...names.map((name) => `-F ${name}`), 'COMMIT'].join('\n'))
    .join('\n');
  await runIn(namespace, 'iptables-nft-restore', ['--noflush'], { input: `${input}\n` });
}
