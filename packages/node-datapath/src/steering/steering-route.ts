// One gateway's policy route on a source node: packets carrying the gateway slot's mark leave via `via`
// (`unicast`), or, with IPVS steering, are delivered locally to IPVS (`local default dev lo`), whose fwmark
// service for the slot forwards them to `via`.
import type { IPFamily } from '@egress-proxier/core';
import type { GatewaySlot } from './slots/slot-layout.js';

export interface SteeringRoute {
  family: IPFamily;
  gatewayNode: string;
  mark: number;
  mask: number;
  table: number;
  priority: number;
  /** `unicast`: `default via <via> dev <device> onlink`; `local`: `local default dev lo` (IPVS). */
  type: 'unicast' | 'local';
  /** The gateway's node IP (the next hop, or IPVS's real server). */
  via: string;
  device: string;
  /**
   * VXLAN only (IPv4): the gateway's node IP, which the tunnel encapsulates to. The encapsulated packet keeps
   * the inner packet's mark, so without a `throw` route for this address in the table it would be routed back
   * into the tunnel (the kernel drops it as a "circular route" and counts a TX collision on the device).
   */
  tunnelEndpoint: string | undefined;
}

/** The fields an `ip rule` of ours is identified by. */
export interface PolicyRuleKey {
  family: IPFamily;
  mark: number;
  mask: number;
  table: number;
  priority: number;
}

export function sameRule(rule: PolicyRuleKey, route: PolicyRuleKey): boolean {
  return (
    rule.family === route.family &&
    rule.priority === route.priority &&
    rule.mark === route.mark &&
    rule.mask === route.mask &&
    rule.table === route.table
  );
}

/** The route of `slot` toward the gateway's node IP, leaving by `device`. */
export function slotRoute(
  hop: { family: IPFamily; slot: GatewaySlot; nodeIP: string },
  mask: number,
  device: string,
  tunnelEndpoint: string | undefined,
  type: SteeringRoute['type'] = 'unicast',
): SteeringRoute {
  const { family, slot, nodeIP } = hop;
  const { node, mark, table, priority } = slot;
  return {
    family,
    gatewayNode: node,
    mark,
    mask,
    table,
    priority,
    type,
    via: nodeIP,
    device,
    tunnelEndpoint,
  };
}
