// The checks every Linux node backend needs before its first sync (`preflight` of the plugin contract): the
// tools the kit runs, and the one kernel setting a gateway depends on. Probes only read.
import { commandCheck, type Exec, type PreflightCheck } from '@egress-proxier/core/plugin';
import { parseLinks } from '../iproute2/ip-json.js';
import { DECAPSULATION_DEVICES, EXPIRE_NODEST_CONN } from '../ipvs/ipvs-view.js';
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
  checks.push(
    commandCheck(exec, {
      name: EXPIRE_NODEST_CONN,
      command: 'sysctl',
      args: ['-n', EXPIRE_NODEST_CONN],
      remedy:
        `set ${EXPIRE_NODEST_CONN}=1 on every node (sysctl.d; a container's /proc/sys is read-only): without it ` +
        'connections to a gateway that was replaced hang until their IPVS entry times out',
      severity: 'warning',
      accept: (result) =>
        result.stdout.trim() === '1' ? true : `${EXPIRE_NODEST_CONN} is ${result.stdout.trim()}`,
      signal,
    }),
  );
  if (ipvs.forwarding === 'tunnel')
    checks.push(
      commandCheck(exec, {
        name: 'reverse-path filter on tunl0',
        command: 'sysctl',
        args: ['-n', 'net.ipv4.conf.all.rp_filter', 'net.ipv4.conf.tunl0.rp_filter'],
        remedy:
          'set net.ipv4.conf.tunl0.rp_filter=2 (or 0) on every node (sysctl.d): a gateway drops decapsulated ' +
          'packets of pods on other nodes under strict filtering',
        accept: (result) => {
          const strictest = Math.max(...result.stdout.trim().split('\n').map(Number));
          return strictest === 1 ? 'strict (1): the higher of all and tunl0 applies' : true;
        },
        signal,
      }),
      commandCheck(exec, {
        name: 'tunl0 (ipip: gateways decapsulate IP-in-IP on it)',
        command: 'ip',
        args: ['-j', 'link', 'show', 'dev', 'tunl0'],
        remedy: `load the ipip module (and ip6_tunnel for IPv6 policies); ${modules}`,
        signal,
      }),
      // A warning: only IPv6 policies need it. All links are listed, not `show dev ip6tnl0`: asking for the
      // device by name would load ip6_tunnel, and preflight changes nothing.
      commandCheck(exec, {
        name: 'ip6tnl0 (ip6_tunnel: gateways decapsulate IPv6-in-IPv6 on it)',
        command: 'ip',
        args: ['-j', 'link', 'show'],
        remedy: `load the ip6_tunnel module on every node that may be a gateway of an IPv6 policy; ${modules}`,
        severity: 'warning',
        accept: (result) =>
          parseLinks(result.stdout).some((link) => link.name === DECAPSULATION_DEVICES[6]) ||
          'ip6_tunnel is not loaded: steered IPv6 packets reaching this node as a gateway are dropped',
        signal,
      }),
    );
  return checks;
}
