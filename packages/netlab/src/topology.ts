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
