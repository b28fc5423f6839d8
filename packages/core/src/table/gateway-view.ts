// Who acts as the gateway of each egress IP, as one node's table needs it: the IPs this node hosts, and for
// every other IP the node to steer its traffic to, or null while that traffic must be held (no live
// gateway, or a gateway that has not confirmed it is ready: the hand-over protocol in src/fencing). The
// table builder takes it as an input, so `egress-proxier render` and the agent's sync build their tables
// with the same function.
import type { EgressModel } from '../model/egress-model.js';

export interface GatewayView {
  /** Egress IPs this node hosts (SNAT and address), sorted. */
  hostedHere(): readonly string[];
  /** For an egress IP not hosted here: its gateway node, or null while its traffic must be held. */
  steerTarget(egressIP: string): string | null;
}

/**
 * The assignment alone: every IP is hosted by the gateway the model computes, and steered to it at once.
 * What an offline render shows (there is no hand-over to order without a live cluster).
 */
export function assignedGatewayView(model: EgressModel, node: string): GatewayView {
  return {
    hostedHere: () => model.egressIPsHostedBy(node),
    steerTarget: (egressIP) => {
      const gateway = model.gatewayOf(egressIP);
      return gateway === node ? null : gateway;
    },
  };
}
