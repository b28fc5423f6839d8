// A node's datapath as text, to tell whether anything changed across a disruption: iptables rules (counters
// stripped), ipsets, policy routing rules and routes. Read with the kernel's tools, inside the node namespace.
import { runIn } from '@egress-proxier/netlab';

export async function datapathSnapshot(namespace: string): Promise<string[]> {
  const [rules, sets, ipRules, routes] = await Promise.all([
    runIn(namespace, 'iptables-nft-save', []),
    runIn(namespace, 'ipset', ['save']),
    runIn(namespace, 'ip', ['-4', 'rule', 'show']),
    runIn(namespace, 'ip', ['-4', 'route', 'show', 'table', 'all']),
  ]);
  const lines = (text: string, kind: string) =>
    text
      .split('\n')
      .filter((line) => line.trim() !== '' && !line.startsWith('#'))
      .map((line) => `${kind}: ${line.replace(/\[\d+:\d+\]/g, '[counters]')}`);
  return [
    ...lines(rules.stdout, 'iptables'),
    ...lines(sets.stdout, 'ipset'),
    ...lines(ipRules.stdout, 'rule'),
    ...lines(routes.stdout, 'route'),
  ];
}

/** Lines only in `before` ("- …") or only in `after` ("+ …"), in that order ([] = unchanged). */
export function snapshotDiff(before: readonly string[], after: readonly string[]): string[] {
  const was = new Set(before);
  const is = new Set(after);
  return [
    ...before.filter((line) => !is.has(line)).map((line) => `- ${line}`),
    ...after.filter((line) => !was.has(line)).map((line) => `+ ${line}`),
  ];
}
