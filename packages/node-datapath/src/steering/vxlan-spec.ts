// The VXLAN device every node has when steering crosses L3: source nodes encapsulate to gateways through it.

export interface VxlanSpec {
  device: string;
  id: number;
  port: number;
  mtu: number;
  uplink: string;
  /** Gateway node IPs (IPv4) this node floods to; the gateway answers ARP for its node IP over the tunnel. */
  remotes: string[];
}
