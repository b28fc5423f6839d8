// The checks every Linux node backend needs before its first sync (`preflight` of the plugin contract): the
// tools the kit runs, and the one kernel setting a gateway depends on. Probes only read.
import { commandCheck, type Exec, type PreflightCheck } from '@egress-proxier/core/plugin';
import type { NodeDatapathOptions, SteeringSelection } from '../options/node-options.js';

/** iproute2, arping, ndptool, the bridge tool where VXLAN steering needs it, IPVS where it steers, ip_forward. */
export function nodePreflightChecks(
  exec: Exec,
  options: SteeringSelection,
  signal: AbortSignal,
): Promise<PreflightCheck>[] {
  const checks = [
    commandCheck(exec, {
      name: 'ip (iproute2)',
      command: 'ip',
      args: ['-V'],
      remedy: 'install iproute2 (4.13 or later: the kit reads `ip -j` JSON)',
      signal,
    }),
    commandCheck(exec, {
      name: 'arping (gratuitous ARP for IPv4 egress IPs)',
      command: 'arping',
      args: ['--help'],
      remedy: 'install arping (or iputils-arping)',
      signal,
    }),
    commandCheck(exec, {
      name: 'ndptool (neighbour advertisements for IPv6 egress IPs)',
      command: 'ndptool',
      args: ['-h'],
      remedy:
        'install libndp-tools; without it, neighbours learn a moved IPv6 egress IP only when their entry expires',
      severity: 'warning',
      signal,
    }),
    commandCheck(exec, {
      name: 'net.ipv4.ip_forward',
      command: 'sysctl',
      args: ['-n', 'net.ipv4.ip_forward'],
      remedy:
        'set net.ipv4.ip_forward=1 on gateway nodes: they forward the traffic other nodes steer to them',
      severity: 'warning',
      accept: (result) =>
        result.stdout.trim() === '1' ? true : `net.ipv4.ip_forward is ${result.stdout.trim()}`,
      signal,
    }),
  ];
  if (options.steering === 'vxlan')
    checks.push(
      commandCheck(exec, {
        name: 'bridge (VXLAN flood entries)',
        command: 'bridge',
        args: ['-V'],
        remedy: 'install iproute2 with the bridge tool',
        signal,
      }),
    );
  if (options.steering === 'ipvs') checks.push(...ipvsChecks(exec, options.ipvs, signal));
  return checks;
}

function ipvsChecks(
  exec: Exec,
  ipvs: NodeDatapathOptions['ipvs'],
  signal: AbortSignal,
): Promise<PreflightCheck>[] {
  const modules = "loading modules is the node's job (e.g. /etc/modules-load.d/egress-proxier.conf)";
  const checks = [
    commandCheck(exec, {
      name: "IPVS (ipvsadm and the kernel's IP_VS)",
      command: 'ipvsadm',
      args: ['-L', '-n'],
      remedy:
        `install ipvsadm and load ip_vs and ip_vs_${ipvs.scheduler} (${modules}); a kernel without IP_VS ` +
        'cannot run this backend: its tests run in the qemu guest of docs/guest-lab.md',
      signal,
    }),
  ];
  if (ipvs.forwarding === 'tunnel')
    checks.push(
      commandCheck(exec, {
        name: 'tunl0 (ipip: gateways decapsulate IP-in-IP on it)',
        command: 'ip',
        args: ['-j', 'link', 'show', 'dev', 'tunl0'],
        remedy: `load the ipip module (and ip6_tunnel for IPv6 policies); ${modules}`,
        signal,
      }),
    );
  return checks;
}
