// NodeEgressTable + options + the node's uplink and slots → DesiredDatapath. Pure: no kernel access.
//
// Classification is by lookups in the compiled longest-prefix table, so the rule count is constant (it grows
// with gateway slots, not with policies or pods): per family, `saddr . daddr` interval maps to a steer verdict
// (a jump to the slot's chain, which sets the kit's fwmark), a set of dropped keys (FailClosed without a
// gateway), and a map to the egress IP for `snat … to … map`. Bypass (FailOpen) and cluster destinations are
// keys in none of them: they leave as if no policy applied.
import {
  compileLongestPrefixTable,
  type HostedEgressIP,
  type IPFamily,
  type LongestPrefixTable,
  type NodeEgressTable,
} from '@egress-proxier/core/plugin';
import { buildNodeDatapath, hex, type GatewaySlot, type SteeringDriver } from '@egress-proxier/node-datapath';
import { CHAINS, PRIORITIES, setNames, steerChainName } from '../names.js';
import type { NftablesOptions } from '../options.js';
import { normaliseRange } from './address-range.js';
import type { DesiredDatapath, NftChain, NftSet, NftTable } from './nft-table.js';
import { verdictRanges } from './verdict-elements.js';

export interface BuildContext {
  options: NftablesOptions;
  uplink: string;
  /** One slot per gateway the table steers to (see GatewaySlotAllocator). */
  slots: readonly GatewaySlot[];
  steering: SteeringDriver;
}

const FAMILIES = [4, 6] as const;
const ADDRESS_TYPE: Record<IPFamily, string> = { 4: 'ipv4_addr', 6: 'ipv6_addr' };
/** The payload protocol nft names a family's header by. */
const PROTOCOL: Record<IPFamily, string> = { 4: 'ip', 6: 'ip6' };

export function buildDatapath(table: NodeEgressTable, context: BuildContext): DesiredDatapath {
  if (context.steering.protocols !== undefined || context.steering.setsWholeMark)
    throw new Error(`steering ${context.steering.mode} is not supported by the nftables backend`);
  const node = buildNodeDatapath(table, context.steering, context.uplink, context.slots);
  return { ...node, nft: buildNftTable(compileLongestPrefixTable(table), context, table.hostedEgressIPs) };
}

/** `hosted`: the egress IPs this node holds, whose traffic the count chain counts. */
export function buildNftTable(
  compiled: LongestPrefixTable,
  context: BuildContext,
  hosted: readonly Pick<HostedEgressIP, 'ip' | 'family'>[] = [],
): NftTable {
  const markOf = new Map(context.slots.map((slot) => [slot.node, slot.mark]));
  const elements = new Map<string, string[]>();
  const add = (set: string, element: string) => {
    const list = elements.get(set);
    if (list === undefined) elements.set(set, [element]);
    else list.push(element);
  };
  for (const { source, ranges } of verdictRanges(compiled)) {
    for (const { family, destinationText, verdict } of ranges) {
      if (verdict.kind !== 'rule') continue;
      const names = setNames(family);
      const key = `${source} . ${destinationText}`;
      const action = verdict.action;
      if (action.kind === 'snat') add(names.snat, `${key} : ${action.egressIP}`);
      else if (action.kind === 'drop') add(names.drop, key);
      else if (action.kind === 'steer') {
        const mark = markOf.get(action.gateway.node);
        if (mark === undefined) throw new Error(`no mark assigned to gateway ${action.gateway.node}`);
        add(names.steer, `${key} : jump ${steerChainName(mark)}`);
      }
    }
  }
  for (const cidr of compiled.clusterDestinations)
    add(setNames(cidr.includes(':') ? 6 : 4).cluster, normaliseRange(cidr));
  for (const { ip, family } of hosted) {
    add(setNames(family).sent, ip);
    add(setNames(family).opened, ip);
  }

  const sets: NftSet[] = FAMILIES.flatMap((family) => {
    const names = setNames(family);
    const address = ADDRESS_TYPE[family];
    const pair = `${address} . ${address}`;
    const of = (name: string) => elements.get(name) ?? [];
    return [
      { name: names.cluster, kind: 'set', type: address, elements: of(names.cluster) },
      { name: names.steer, kind: 'map', type: `${pair} : verdict`, elements: of(names.steer) },
      { name: names.drop, kind: 'set', type: pair, elements: of(names.drop) },
      { name: names.snat, kind: 'map', type: `${pair} : ${address}`, elements: of(names.snat) },
      { name: names.sent, kind: 'set', type: address, counter: true, elements: of(names.sent) },
      { name: names.opened, kind: 'set', type: address, counter: true, elements: of(names.opened) },
    ];
  });
  return { sets, chains: chains(context) };
}

function chains({ options, slots, steering }: BuildContext): NftChain[] {
  const mask = hex(options.mask);
  const keep = hex(~options.mask >>> 0);
  const steered = `meta mark & ${mask} != 0`;
  const slotChains: NftChain[] = [...slots]
    .sort((a, b) => a.mark - b.mark)
    .map((slot) => ({
      name: steerChainName(slot.mark),
      rules: [
        `meta mark set meta mark & ${keep} | ${hex(slot.mark)} comment "steer to ${slot.node}"`,
        // The connection keeps the mark: the unsteered guard knows it was steered (never masqueraded here),
        // and with VXLAN the SYN-ACK coming back is clamped too.
        `ct mark set ct mark & ${keep} | ${hex(slot.mark)}`,
      ],
    }));
  const perFamily = (rule: (p: string, family: IPFamily) => string) =>
    FAMILIES.map((family) => rule(PROTOCOL[family], family));
  // The maps' keys may cover cluster destinations (a policy toward 0.0.0.0/0): those are decided first.
  const clusterReturn = perFamily(
    (p, f) => `${p} daddr @${setNames(f).cluster} return comment "cluster destination: never ours"`,
  );
  const devices = [...new Set(FAMILIES.flatMap((family) => steering.ingressDevices(family)))].sort();
  const deviceMatch = `iifname { ${devices.map((device) => `"${device}"`).join(', ')} }`;
  const result: NftChain[] = [
    ...slotChains,
    {
      name: CHAINS.steer,
      hook: `type filter hook prerouting priority ${PRIORITIES.steer}`,
      rules: [...clusterReturn, ...perFamily((p, f) => `${p} saddr . ${p} daddr vmap @${setNames(f).steer}`)],
    },
  ];
  const clamp = steering.mssClamp();
  if (clamp !== undefined) {
    if (clamp.kind !== 'tunnel-device')
      throw new Error(`MSS clamping of kind ${clamp.kind} is not supported by the nftables backend`);
    const syn = 'tcp flags & (syn | rst) == syn';
    result.push({
      name: CHAINS.mss,
      hook: `type filter hook forward priority ${PRIORITIES.mss}`,
      rules: [
        `oifname "${clamp.device}" ${syn} tcp option maxseg size set rt mtu comment "SYN into the tunnel"`,
        // IPv4 and TCP headers take 40 bytes, IPv6 and TCP 60. Only ever lowered.
        ...perFamily((_p, f) => {
          const mss = clamp.mtu - (f === 4 ? 40 : 60);
          const nfproto = f === 4 ? 'ipv4' : 'ipv6';
          return `ct mark & ${mask} != 0 meta nfproto ${nfproto} ${syn} tcp option maxseg size > ${mss} tcp option maxseg size set ${mss} comment "SYN-ACK of a steered connection"`;
        }),
      ],
    });
  }
  result.push(
    {
      name: CHAINS.guard,
      hook: `type filter hook forward priority ${PRIORITIES.guard}`,
      rules: [
        // A node that receives steered traffic it has no SNAT for (a source steering a pod this gateway has not
        // learned yet, or to a gateway that just withdrew the IP) must not let the CNI masquerade it.
        ...perFamily((p, f) => {
          const { cluster, snat } = setNames(f);
          return `${deviceMatch} ct state new ${p} saddr @${cluster} ${p} daddr != @${cluster} ${p} saddr . ${p} daddr != @${snat} drop comment "steered here but not SNATed here: never masquerade it"`;
        }),
        // NAT is decided by a connection's first packet: a connection that was steered was never masqueraded;
        // once its steering goes, its packets would leave by the main table with the pod's own address.
        ...perFamily((p, f) => {
          const { cluster } = setNames(f);
          return `ct mark & ${mask} != 0 ${steered.replace('!=', '==')} ${p} saddr @${cluster} ${p} daddr != @${cluster} drop comment "steered connection no longer steered: never let it out"`;
        }),
        ...clusterReturn,
        ...perFamily(
          (p, f) =>
            `${p} saddr . ${p} daddr @${setNames(f).drop} drop comment "fail-closed policy without a gateway"`,
        ),
      ],
    },
    {
      name: CHAINS.snat,
      hook: `type nat hook postrouting priority ${PRIORITIES.snat}`,
      rules: [
        ...clusterReturn,
        // An accept here would not stop another table's masquerade: only a NAT binding does. A binding to the
        // packet's own source leaves it unchanged and ends the nat hook's search for this connection.
        ...perFamily(
          (p) => `${steered} snat ${p} to ${p} saddr comment "steered to a gateway: not masqueraded here"`,
        ),
        ...perFamily((p, f) => `snat ${p} to ${p} saddr . ${p} daddr map @${setNames(f).snat}`),
      ],
    },
    {
      name: CHAINS.count,
      hook: `type filter hook postrouting priority ${PRIORITIES.count}`,
      // Each lookup that matches adds the packet to its element's counter (traffic metrics); nothing is decided.
      rules: perFamily((p, f) => {
        const { sent, opened } = setNames(f);
        return `${p} saddr @${sent} ct state new ${p} saddr @${opened}`;
      }),
    },
  );
  return result;
}
