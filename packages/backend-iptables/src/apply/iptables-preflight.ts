// What the iptables backend needs from the host beyond the node kit's tools: iptables of the flavour it will
// use (both are tried with `--iptables-mode=auto`, as the flavour detection does), ipset with the kernel's
// ip_set support, and conntrack for the traffic readings' port census. Reads only.
import { commandCheck, type Exec, type PreflightCheck } from '@egress-proxier/core/plugin';
import { conntrackCheck } from '@egress-proxier/node-datapath';
import type { IptablesMode } from '../options.js';

export async function iptablesPreflightChecks(
  exec: Exec,
  mode: IptablesMode,
  signal: AbortSignal,
): Promise<PreflightCheck[]> {
  const flavours = mode === 'auto' ? (['nft', 'legacy'] as const) : [mode];
  const saves = await Promise.all(
    flavours.map((flavour) =>
      commandCheck(exec, {
        name: `iptables-${flavour}-save`,
        command: `iptables-${flavour}-save`,
        args: [],
        remedy: 'install iptables (and run as root with CAP_NET_ADMIN)',
        accept: () => true,
        signal,
      }),
    ),
  );
  const iptables: PreflightCheck =
    mode === 'auto'
      ? {
          name: 'iptables (nft or legacy)',
          ok: saves.some((check) => check.ok),
          detail: saves.map((check) => `${check.name}: ${check.ok ? 'works' : check.detail}`).join('; '),
          remedy: 'install iptables (and run as root with CAP_NET_ADMIN)',
        }
      : (saves[0] as PreflightCheck);
  const ipset = await commandCheck(exec, {
    name: 'ipset (and the kernel ip_set module)',
    command: 'ipset',
    args: ['version'], // asks the kernel for its protocol version: fails without ip_set
    remedy: 'install ipset, and load ip_set (modprobe ip_set) if the kernel has it as a module',
    signal,
  });
  return [iptables, ipset, await conntrackCheck(exec, signal)];
}
