// An egress IP as the kernel holds it on a gateway: a full-length prefix on the uplink, with a lifetime.
import type { IPFamily, NodeEgressTable } from '@egress-proxier/core';

export interface EgressAddress {
  ip: string;
  family: IPFamily;
  /** `ip/32` or `ip/128`. */
  cidr: string;
  device: string;
  /** IPv4 ownership label, see addressLabel. */
  label: string | undefined;
}

/**
 * The label that marks an IPv4 egress address as ours (`ip addr` has no owner field). Linux requires a label
 * to start with the device name and fit in 15 characters; for longer device names there is no label and
 * ownership falls back to the IPv6 rule (full-length prefix, finite lifetime, nodad).
 */
export function addressLabel(uplink: string): string | undefined {
  const label = `${uplink}:egp`;
  return label.length <= 15 ? label : undefined;
}

/** The egress addresses a table puts on this node's uplink. */
export function desiredAddresses(table: NodeEgressTable, uplink: string): EgressAddress[] {
  const label = addressLabel(uplink);
  return table.hostedEgressIPs.map(({ ip, family }) => ({
    ip,
    family,
    cidr: `${ip}/${family === 4 ? 32 : 128}`,
    device: uplink,
    label: family === 4 ? label : undefined,
  }));
}
