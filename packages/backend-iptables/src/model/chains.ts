// The rules of our chains, per IP family. Every chain walks the table's rules in the table's order and stops
// at the first match, so nat, mangle and filter agree on which rule decides a packet (first match wins across
// actions): a chain applies its own action for rules of its kind and RETURNs for the others.
import type { EgressRule, IPFamily, NodeEgressTable } from '@egress-proxier/core';
import { CHAINS, clusterSetName, excludedSetName, sourceSetName } from '../names.js';
import { hex, type GatewaySlot, type SteeringDriver } from '@egress-proxier/node-datapath';
import type { IptablesOptions } from '../options.js';
import type { ChainBody, ChainRule, FamilyRuleset, JumpRule } from './desired-datapath.js';
import { cidrFamily } from './ipsets.js';

export interface ChainContext {
  options: IptablesOptions;
  slots: readonly GatewaySlot[];
  /** How steered packets reach gateways: where they arrive, how marks are set, what MSS clamping they need. */
  steering: SteeringDriver;
}

export function familyRuleset(
  table: NodeEgressTable,
  family: IPFamily,
  context: ChainContext,
): FamilyRuleset {
  const rules = table.rules.filter((rule) => rule.family === family);
  const hasCluster = table.clusterCIDRs.some((cidr) => cidrFamily(cidr) === family);
  const clusterReturn = hasCluster
    ? [
        `-m set --match-set ${clusterSetName(family)} dst -m comment --comment "cluster destination" -j RETURN`,
      ]
    : [];
  const { options } = context;
  const maskText = hex(options.mask);
  const canary = `-m comment --comment "egress-proxier canary: a missing rule means our chains were flushed" -j RETURN`;
  // A chain stops after the last rule of its own action: the RETURNs after it change nothing, and mangle and
  // filter see every packet of every connection (on a gateway with 2,000 snat rules they cut new connections
  // per second by 30x). A chain with no rule of its action is empty.
  const steerRules = upToLast(rules, (rule) => rule.action.kind === 'steer');
  const dropRules = upToLast(rules, (rule) => rule.action.kind === 'drop');
  const snatRules = upToLast(rules, (rule) => rule.action.kind === 'snat');
  const chains: ChainBody[] = [
    {
      table: 'mangle',
      chain: CHAINS.mark,
      rules: guarded(
        [...clusterReturn, ...linkScopedReturn(family, context.steering)],
        steerRules.flatMap((r) => markRules(r, context)),
      ),
    },
    { table: 'mangle', chain: CHAINS.mss, rules: mssRules(family, steerRules, context) },
    { table: 'mangle', chain: CHAINS.account, rules: accountRules(table, family) },
    { table: 'mangle', chain: CHAINS.canary, rules: [canary] },
    {
      table: 'filter',
      chain: CHAINS.forward,
      rules: [
        ...steeredInGuard(family, hasCluster, context),
        ...unsteeredGuard(family, hasCluster, context),
        ...guarded(clusterReturn, dropRules.map(forwardRule)),
      ],
    },
    {
      table: 'filter',
      chain: CHAINS.steeredIn,
      rules: hasCluster ? steeredInRules(rules.filter((rule) => rule.action.kind === 'snat')) : [],
    },
    { table: 'filter', chain: CHAINS.canary, rules: [canary] },
    {
      table: 'nat',
      chain: CHAINS.postrouting,
      rules: [
        ...clusterReturn,
        `-m mark ! --mark 0x0/${maskText} -m comment --comment "steered to a gateway: not masqueraded here" -j ACCEPT`,
        ...snatRules.map(natRule),
      ],
    },
    { table: 'nat', chain: CHAINS.canary, rules: [canary] },
  ];
  return {
    family,
    chains,
    jumps: JUMPS,
    rules: rules.map((rule) => chainRule(rule, context)),
    clusterReturn,
  };
}

function chainRule(rule: EgressRule, { slots }: ChainContext): ChainRule {
  const action = rule.action;
  let actionText: string = action.kind;
  if (action.kind === 'snat') actionText = `snat ${action.egressIP}`;
  if (action.kind === 'steer') {
    const mark = slots.find((slot) => slot.node === action.gateway.node)?.mark;
    if (mark === undefined) throw new Error(`no mark assigned to gateway ${action.gateway.node}`);
    actionText = `steer ${action.egressIP} via ${action.gateway.node} ${action.gateway.nodeIP} mark ${hex(mark)}`;
  }
  const fields = [rule.policy, rule.family, rule.sourceSet, rule.destination, rule.excludedCIDRs];
  const sets = [sourceSetName(rule.sourceSet)];
  if (rule.excludedCIDRs.length > 0) sets.push(excludedSetName(rule.family, rule.excludedCIDRs));
  return {
    key: JSON.stringify([...fields, rule.failurePolicy, actionText]),
    match: matchOf(rule),
    sourceSet: sourceSetName(rule.sourceSet),
    sets,
    description: describe(rule),
  };
}

/** The rules up to and including the last one `isOwn` accepts; none when it accepts none. */
function upToLast(rules: readonly EgressRule[], isOwn: (rule: EgressRule) => boolean): EgressRule[] {
  let end = rules.length;
  while (end > 0 && !isOwn(rules[end - 1] as EgressRule)) end--;
  return rules.slice(0, end);
}

/** The cluster-destination guard only matters in front of rules. */
function guarded(clusterReturn: readonly string[], lines: readonly string[]): string[] {
  return lines.length === 0 ? [] : [...clusterReturn, ...lines];
}

const JUMPS: JumpRule[] = [
  jump('mangle', 'PREROUTING', CHAINS.mark, 'egress-proxier: mark pod traffic steered to a gateway', false),
  jump(
    'mangle',
    'POSTROUTING',
    CHAINS.account,
    'egress-proxier: count bytes sent as egress IPs',
    false,
    // Only packets of SNATed connections, in their original direction, walk the per-IP rules.
    '-m conntrack --ctstate SNAT --ctdir ORIGINAL',
  ),
  jump('mangle', 'FORWARD', CHAINS.mss, 'egress-proxier: clamp MSS of tunnelled connections', false),
  jump('filter', 'FORWARD', CHAINS.forward, 'egress-proxier: drop traffic of fail-closed policies', false),
  jump('nat', 'POSTROUTING', CHAINS.postrouting, 'egress-proxier: egress SNAT, before any masquerade', true),
];

function jump(
  table: JumpRule['table'],
  builtin: string,
  target: string,
  comment: string,
  mustBeFirst: boolean,
  match?: string,
) {
  const spec = `${match === undefined ? '' : `${match} `}-m comment --comment "${comment}" -j ${target}`;
  return { table, builtin, target, mustBeFirst, spec };
}

/** The comment of an egress IP's byte counter in the accounting chain: how readTraffic finds it. */
export function accountComment(egressIP: string): string {
  return `bytes sent as ${egressIP}`;
}

/**
 * One counter per egress IP hosted here: a packet of a connection SNATed to it (after the first, which nat
 * counts) matches its reply destination. Linear in the hosted IPs, for SNATed packets only.
 */
function accountRules(table: NodeEgressTable, family: IPFamily): string[] {
  return table.hostedEgressIPs
    .filter((hosted) => hosted.family === family)
    .map(({ ip }) => `-m conntrack --ctrepldst ${ip} -m comment --comment "${accountComment(ip)}" -j RETURN`);
}

/** The match shared by a rule's lines in every chain (source set, destination, not its exclusions), with comment. */
export function ruleMatch(rule: EgressRule): string {
  return `${matchOf(rule)} -m comment --comment "${describe(rule)}"`;
}

function matchOf(rule: EgressRule): string {
  const parts = [`-m set --match-set ${sourceSetName(rule.sourceSet)} src`];
  if (!isDefaultRoute(rule.destination)) parts.push(`-d ${rule.destination}`);
  if (rule.excludedCIDRs.length > 0) {
    parts.push(`-m set ! --match-set ${excludedSetName(rule.family, rule.excludedCIDRs)} dst`);
  }
  return parts.join(' ');
}

function describe(rule: EgressRule): string {
  const action = rule.action;
  const what =
    action.kind === 'snat'
      ? `snat to ${action.egressIP}`
      : action.kind === 'steer'
        ? `steer to ${action.gateway.node} for ${action.egressIP}`
        : action.kind;
  return `${rule.policy}: ${what}; sources ${rule.sourceSet}`;
}

/**
 * Destinations no router forwards: with a steering that carries only some protocols, the DROP of the rest
 * would catch a selected pod's neighbour discovery (an NA from the pod to its node's link-local address) and
 * its multicast, and the node could no longer reach the pod over IPv6. Steering has nothing to do with them.
 */
const LINK_SCOPED: Record<IPFamily, readonly string[]> = { 4: ['224.0.0.0/4'], 6: ['fe80::/10', 'ff00::/8'] };

function linkScopedReturn(family: IPFamily, steering: SteeringDriver): string[] {
  if (steering.protocols === undefined) return [];
  return LINK_SCOPED[family].map(
    (cidr) => `-d ${cidr} -m comment --comment "link-scoped destination: never steered" -j RETURN`,
  );
}

function markRules(rule: EgressRule, { options, slots, steering }: ChainContext): string[] {
  const match = ruleMatch(rule);
  if (rule.action.kind !== 'steer') return [`${match} -j RETURN`];
  const gatewayNode = rule.action.gateway.node;
  const slot = slots.find((candidate) => candidate.node === gatewayNode);
  if (slot === undefined) throw new Error(`no mark assigned to gateway ${gatewayNode}`);
  const markText = `${hex(slot.mark)}/${hex(options.mask)}`;
  const setText = steering.setsWholeMark ? `${hex(slot.mark)}/0xffffffff` : markText;
  const marks =
    steering.protocols === undefined
      ? [`${match} -j MARK --set-xmark ${setText}`]
      : steering.protocols.map((protocol) => `${match} -p ${protocol} -j MARK --set-xmark ${setText}`);
  // The connection keeps the mark: the unsteered guard knows it was steered (never masqueraded here), and with
  // VXLAN the SYN-ACK coming back (not through the tunnel) is clamped too.
  return [
    ...marks,
    `-m mark --mark ${markText} -j CONNMARK --set-xmark ${markText}`,
    `-m mark --mark ${markText} -j RETURN`,
    // What steering cannot carry must not leave by the main table with the node's address either.
    ...(steering.protocols === undefined
      ? []
      : [
          `${matchOf(rule)} -m comment --comment "${describe(rule)}: steering carries ${steering.protocols.join(', ')} only" -j DROP`,
        ]),
  ];
}

function mssRules(family: IPFamily, steerRules: readonly EgressRule[], { options, steering }: ChainContext) {
  const clamp = steering.mssClamp();
  if (clamp === undefined) return [];
  // IPv4 and TCP headers take 40 bytes, IPv6 and TCP 60; IP-in-IP adds an outer header of the family's size.
  const mss =
    clamp.kind === 'tunnel-device'
      ? clamp.mtu - (family === 4 ? 40 : 60)
      : clamp.mtu - (family === 4 ? 60 : 100);
  if (clamp.kind === 'steered-replies') {
    // IPVS tunnels inside the kernel and leaves no connection state here: a steered pod's SYN-ACKs are found
    // by their destination (a steered rule's sources) and source (its destination).
    const synAck = '-p tcp -m tcp --tcp-flags SYN,ACK SYN,ACK';
    return steerRules
      .filter((rule) => rule.action.kind === 'steer')
      .map((rule) =>
        [
          ...(isDefaultRoute(rule.destination) ? [] : [`-s ${rule.destination}`]),
          `-m set --match-set ${sourceSetName(rule.sourceSet)} dst ${synAck}`,
          `-m comment --comment "SYN-ACK to a pod steered through the IPVS tunnel" -j TCPMSS --set-mss ${mss}`,
        ].join(' '),
      );
  }
  const syn = '-p tcp -m tcp --tcp-flags SYN,RST SYN';
  return [
    `-o ${clamp.device} ${syn} -m comment --comment "SYN into the tunnel" -j TCPMSS --clamp-mss-to-pmtu`,
    `-m connmark ! --mark 0x0/${hex(options.mask)} ${syn} -m comment --comment "SYN-ACK of a steered connection" -j TCPMSS --set-mss ${mss}`,
  ];
}

/**
 * The steered-in guard. A node that receives steered traffic it has no SNAT rule for (a source node steering a
 * pod this gateway has not learned yet, or steering to a gateway that has just withdrawn the egress IP) would
 * let the CNI masquerade it with its own node IP. So new connections that arrive from another node (on the
 * uplink, or the VXLAN device) with a cluster source and a destination outside the cluster go through the
 * steered-in chain, which drops those no snat rule of this node takes. nat cannot DROP and nothing runs after
 * nat POSTROUTING, so the guard lives here. The interface and conntrack state come first: established packets
 * and local pods' traffic stop at the first one or two comparisons.
 */
function steeredInGuard(family: IPFamily, hasCluster: boolean, { steering }: ChainContext): string[] {
  if (!hasCluster) return [];
  const devices = steering.ingressDevices(family);
  const cluster = clusterSetName(family);
  return devices.map(
    (device) =>
      `-i ${device} -m conntrack --ctstate NEW -m set --match-set ${cluster} src -m set ! --match-set ${cluster} dst -m comment --comment "new connection steered in from another node" -j ${CHAINS.steeredIn}`,
  );
}

/**
 * The unsteered guard, on the source node. NAT is decided by a connection's first packet: a steered one was
 * exempt from masquerade, and conntrack keeps that for the connection's life. Once its steering goes (the
 * policy deleted, the IP moved here or away, FailOpen after a steer), a later packet of it — a retransmitted
 * SYN, or any packet of an established connection — would leave by the main table with the pod's own address.
 * Such packets carry the connection's steering mark but no packet mark any more: drop them (the connection
 * fails, as it would through a gateway that withdrew). The connmark test comes first, so only steered
 * connections' packets reach the set lookups, and replies (an outside source) never match.
 */
function unsteeredGuard(family: IPFamily, hasCluster: boolean, { options }: ChainContext): string[] {
  if (!hasCluster) return [];
  const mask = hex(options.mask);
  const cluster = clusterSetName(family);
  return [
    `-m connmark ! --mark 0x0/${mask} -m mark --mark 0x0/${mask} -m set --match-set ${cluster} src -m set ! --match-set ${cluster} dst -m comment --comment "steered connection no longer steered: it was never masqueraded, never let it out" -j DROP`,
  ];
}

function steeredInRules(snatRules: readonly EgressRule[]): string[] {
  return [
    ...snatRules.map((rule) => `${ruleMatch(rule)} -j RETURN`),
    `-m comment --comment "steered here but not SNATed here: never masquerade it" -j DROP`,
  ];
}

function forwardRule(rule: EgressRule): string {
  return `${ruleMatch(rule)} -j ${rule.action.kind === 'drop' ? 'DROP' : 'RETURN'}`;
}

function natRule(rule: EgressRule): string {
  const match = ruleMatch(rule);
  return rule.action.kind === 'snat'
    ? `${match} -j SNAT --to-source ${rule.action.egressIP}`
    : `${match} -j RETURN`;
}

function isDefaultRoute(cidr: string): boolean {
  return cidr === '0.0.0.0/0' || cidr === '::/0';
}
