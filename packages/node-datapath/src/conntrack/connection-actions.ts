// What a node does with each egress IP's connections, as conntrack remembers it, and which remembered
// decisions a table change makes wrong. NAT and the steered-or-not choice are taken on a connection's first
// packet and kept by conntrack for its life, so after an egress IP moves, an established connection would go on
// under the old decision: SNATed to an address this node no longer holds, or (its steering mark still on the
// connection) dropped by the unsteered guard on the node that now hosts the IP. Deleting those entries lets
// the connection's next packet be taken up again (TCP loose pickup, on by default) under the new table: SNATed
// here, or steered to the new gateway, which SNATs it. The port is kept when it is free on the egress IP, as it
// is on a gateway that has just claimed it, so the remote end sees the same address and port and the
// connection carries on after a retransmission.
import type { IPFamily, NodeEgressTable } from '@egress-proxier/core';
import type { Command } from '../exec/command.js';
import { hex } from '../options/option-reader.js';
import type { SteeringRoute } from '../steering/steering-route.js';

interface SteeringMark {
  family: IPFamily;
  mark: number;
  mask: number;
}

export interface ConnectionActions {
  /** Egress IPs this node SNATs to, with their family. */
  snat: ReadonlyMap<string, IPFamily>;
  /** Egress IPs this node steers to a gateway, with the mark their connections carry. */
  steered: ReadonlyMap<string, SteeringMark>;
}

/** The actions of an applied table; `routes` are the steering routes it was applied with (their marks). */
export function connectionActions(
  table: NodeEgressTable,
  routes: readonly SteeringRoute[],
): ConnectionActions {
  const snat = new Map<string, IPFamily>();
  const steered = new Map<string, SteeringMark>();
  for (const rule of table.rules) {
    const { action, family } = rule;
    if (action.kind === 'snat') snat.set(action.egressIP, family);
    if (action.kind !== 'steer') continue;
    const route = routes.find((r) => r.family === family && r.gatewayNode === action.gateway.node);
    if (route !== undefined) steered.set(action.egressIP, { family, mark: route.mark, mask: route.mask });
  }
  return { snat, steered };
}

/**
 * The conntrack deletions that make connections follow `after`, one command per egress IP no longer SNATed
 * here and per steering mark that some egress IP no longer uses. A connection steered with such a mark for
 * another, unchanged, IP is taken up again too, and steered as before (marks are set per packet): harmless.
 * An IP steered to another gateway needs nothing: the per-packet mark follows the new route.
 */
export function carryOverCommands(before: ConnectionActions, after: ConnectionActions): Command[] {
  const commands: Command[] = [];
  for (const [ip, family] of before.snat) {
    if (!after.snat.has(ip)) commands.push(deletion(family, ['--reply-dst', ip]));
  }
  const marks = new Map<string, SteeringMark>();
  for (const [ip, steering] of before.steered) {
    if (after.steered.has(ip)) continue;
    marks.set(`${steering.family}/${steering.mark}/${steering.mask}`, steering);
  }
  for (const { family, mark, mask } of marks.values()) {
    commands.push(deletion(family, ['--mark', `${hex(mark)}/${hex(mask)}`]));
  }
  return commands;
}

function deletion(family: IPFamily, filter: string[]): Command {
  return { command: 'conntrack', args: ['-D', '-f', family === 4 ? 'ipv4' : 'ipv6', ...filter] };
}
