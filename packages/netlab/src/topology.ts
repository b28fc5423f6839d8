// The lab's address plan. Everything lives in documentation and test ranges: nodes on 192.0.2.0/24, pods in
// 10.244.<node>.0/24, external servers in 198.51.100.0/24 and 203.0.113.0/24.
export const NODE_SUBNET = '192.0.2.0/24';
export const ROUTER_NODE_SIDE_IP = '192.0.2.1';
export const POD_SUPERNET = '10.244.0.0/16';
export const DEFAULT_EXTERNALS = ['198.51.100.10', '203.0.113.10'] as const;
export const DEFAULT_SERVER_PORT = 8080;

export function nodeIP(index: number): string {
  return `192.0.2.${10 + index}`;
}

export function podCIDR(index: number): string {
  return `10.244.${index}.0/24`;
}

export function podGateway(index: number): string {
  return `10.244.${index}.1`;
}

export function podIP(nodeIndex: number, podIndex: number): string {
  return `10.244.${nodeIndex}.${podIndex + 1}`;
}

/** The router's address on an external host's /24: its `.1`. */
export function externalGateway(ip: string): string {
  return `${ip.split('.').slice(0, 3).join('.')}.1`;
}

export function externalSubnet(ip: string): string {
  return `${ip.split('.').slice(0, 3).join('.')}.0/24`;
}

// IPv6 (LabOptions.ipv6): nodes on 2001:db8:2::/64 next to 192.0.2.0/24, pods in fd00:10:244:<node>::/64,
// and each external server also at 2001:db8:<third octet>::<fourth octet> (198.51.100.10 → 2001:db8:100::10).
export const NODE_SUBNET6 = '2001:db8:2::/64';
export const ROUTER_NODE_SIDE_IP6 = '2001:db8:2::1';
export const POD_SUPERNET6 = 'fd00:10:244::/48';

export function nodeIP6(index: number): string {
  return `2001:db8:2::${10 + index}`;
}

export function podCIDR6(index: number): string {
  return `fd00:10:244:${index}::/64`;
}

export function podGateway6(index: number): string {
  return `fd00:10:244:${index}::1`;
}

export function podIP6(nodeIndex: number, podIndex: number): string {
  return `fd00:10:244:${nodeIndex}::${podIndex + 1}`;
}

/** The IPv6 address an external server gets next to its IPv4 one. */
export function externalIP6(ip: string): string {
  const [, , third = '0', fourth = '0'] = ip.split('.');
  return `2001:db8:${third}::${fourth}`;
}

export function externalGateway6(ip: string): string {
  return `2001:db8:${ip.split('.')[2] ?? '0'}::1`;
}
