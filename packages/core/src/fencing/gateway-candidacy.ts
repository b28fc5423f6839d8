// Which nodes renew a heartbeat lease: those that may be chosen as a gateway. 5,000 nodes renewing every
// second would be 5,000 writes/s; gateway-eligible ones are a handful. A node counts when it carries the
// default gateway label (so labelled gateways are warm before the first Egress exists, and that Egress
// works as fast as any other) or matches the gatewayNodeSelector of an accepted Egress.
import { DEFAULT_GATEWAY_NODE_SELECTOR } from '../api/egress-types.js';
import type { EgressModel } from '../model/egress-model.js';
import { compileLabelSelector } from '../selectors/label-selector.js';

const defaultGatewaySelector = compileLabelSelector(DEFAULT_GATEWAY_NODE_SELECTOR);

/** Undefined while the node is not known yet (before the nodes informer has listed). */
export function isGatewayCandidate(model: EgressModel, node: string): boolean | undefined {
  const me = model.node(node);
  if (me === undefined) return undefined;
  return (
    defaultGatewaySelector.matches(me.labels) ||
    model.acceptedPolicies().some((policy) => policy.gatewayNodeSelector.matches(me.labels))
  );
}
