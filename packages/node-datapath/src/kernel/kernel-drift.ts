// What changed in the node's kernel behind our back: the difference between the state we expect (what we last
// applied) and the state just read, as sentences for the log. The next apply repairs it either way; this is
// what tells an operator that something else on the node deletes our rules, routes or FDB entries.
import type { KernelAddress, KernelRoute, KernelRule } from '../iproute2/ip-json.js';
import { serviceKey, type IpvsService } from '../ipvs/ipvs-service.js';
import { hex } from '../options/option-reader.js';
import type { NodeKernelView } from './node-kernel-view.js';

export function nodeDrift(expected: NodeKernelView, actual: NodeKernelView): string[] {
  const problems: string[] = [];
  const missing = <T>(wanted: readonly T[], held: readonly T[], key: (item: T) => string, what: string) => {
    const have = new Set(held.map(key));
    const want = new Set(wanted.map(key));
    for (const item of wanted) if (!have.has(key(item))) problems.push(`${what} ${key(item)} missing`);
    for (const item of held) if (!want.has(key(item))) problems.push(`unexpected ${what} ${key(item)}`);
  };
  missing(expected.rules, actual.rules, ruleKey, 'ip rule');
  missing(expected.routes, actual.routes, routeKey, 'route');
  missing(expected.addresses, actual.addresses, addressKey, 'egress address');
  if (expected.vxlan.exists !== actual.vxlan.exists) {
    problems.push(expected.vxlan.exists ? 'VXLAN device missing' : 'unexpected VXLAN device');
  } else if (expected.vxlan.exists) {
    missing(expected.vxlan.remotes, actual.vxlan.remotes, (remote) => remote, 'FDB flood entry to');
    if (!actual.vxlan.addressed) problems.push('VXLAN device lost its address');
  }
  if (expected.ipvs !== undefined && actual.ipvs !== undefined) {
    missing(expected.ipvs.services, actual.ipvs.services, serviceText, 'IPVS service');
    for (const tunnel of actual.ipvs.tunnels) if (!tunnel.up) problems.push(`${tunnel.device} is down`);
  }
  return problems;
}

function ruleKey(rule: KernelRule): string {
  return `v${rule.family} fwmark ${hex(rule.mark)}/${hex(rule.mask)} lookup ${rule.table} priority ${rule.priority}`;
}

function routeKey(route: KernelRoute): string {
  const target = route.via === undefined ? '' : ` via ${route.via}`;
  const device = route.device === undefined ? '' : ` dev ${route.device}`;
  return `v${route.family} ${route.type} ${route.dst}${target}${device} table ${route.table}`;
}

/** Every field: a service whose real server or scheduler changed reads as one missing and one unexpected. */
function serviceText(service: IpvsService): string {
  return `${serviceKey(service)} ${service.scheduler} → ${service.realServer ?? 'no single real server'} (${service.forwarding})`;
}

function addressKey(address: KernelAddress): string {
  return `${address.local}/${address.prefixLength} dev ${address.device}`;
}
