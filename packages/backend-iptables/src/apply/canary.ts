// Cheap per-sync drift check, like kube-proxy's KUBE-PROXY-CANARY: each table we use holds a canary chain with
// one rule. If a canary or its rule is gone, someone flushed or deleted our chains (an iptables restart, a
// firewall reload), and the next sync re-reads the kernel and rewrites everything. Also checks that our nat
// jump is still POSTROUTING's first rule, since a CNI that inserts its masquerade at the top would win.
import type { IPFamily } from '@egress-proxier/core';
import type { CommandRunner } from '@egress-proxier/node-datapath';
import { CHAINS, TABLES } from '../names.js';
import type { IptablesTools } from './iptables-flavour.js';

export async function chainsIntact(
  runner: CommandRunner,
  tools: IptablesTools,
  families: IPFamily[],
): Promise<string[]> {
  const problems: string[] = [];
  const checks = families.flatMap((family) => [
    ...TABLES.map(async (table) => {
      const result = await runner.read(
        { command: tools.iptables(family), args: ['-w', '-t', table, '-S', CHAINS.canary] },
        { allowedExitCodes: [1] },
      );
      if (result.exitCode !== 0 || !result.stdout.includes(`-A ${CHAINS.canary} `)) {
        problems.push(`IPv${family} ${table} canary missing`);
      }
    }),
    (async () => {
      const result = await runner.read(
        { command: tools.iptables(family), args: ['-w', '-t', 'nat', '-S', 'POSTROUTING', '1'] },
        { allowedExitCodes: [1] },
      );
      if (!result.stdout.includes(`-j ${CHAINS.postrouting}`)) {
        problems.push(`IPv${family} nat POSTROUTING does not start with our jump`);
      }
    })(),
  ]);
  await Promise.all(checks);
  return problems;
}
