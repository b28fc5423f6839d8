// The bytes of egress_maps.h's keys and values, as `bpftool map update … key hex … value hex …` arguments:
// the real-kernel tests fill the maps by hand until the loader's own encoder (src/maps) exists.
import { isIPv4, isIPv6 } from 'node:net';

export const Action = { pass: 0, drop: 1, steer: 2, local: 3 } as const;

/** An address in network byte order (IPv4: 4 bytes, IPv6: 16). */
export function addressBytes(address: string): number[] {
  if (isIPv4(address)) return address.split('.').map(Number);
  if (!isIPv6(address)) throw new Error(`not an IP address: ${address}`);
  const [head = '', tail] = address.split('::');
  const groups = (part: string) => (part === '' ? [] : part.split(':').map((group) => parseInt(group, 16)));
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const all = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  return all.flatMap((group) => [group >> 8, group & 0xff]);
}

/** A host-order (little-endian here: x86 and arm64) u32, as the LPM prefixlen and the value's u32s are. */
function u32(value: number): number[] {
  return [value & 0xff, (value >> 8) & 0xff, (value >> 16) & 0xff, (value >>> 24) & 0xff];
}

function hex(bytes: number[]): string[] {
  return bytes.map((byte) => byte.toString(16).padStart(2, '0'));
}

function prefix(cidr: string): { bytes: number[]; length: number } {
  const [address = '', length = ''] = cidr.split('/');
  return { bytes: addressBytes(address), length: Number(length) };
}

/** egp_policy_key4/6: prefixlen (whole source + destination prefix), source, destination. */
export function policyKey(source: string, destination: string): string[] {
  const src = addressBytes(source);
  const dst = prefix(destination);
  return hex([...u32(src.length * 8 + dst.length), ...src, ...dst.bytes]);
}

/** egp_cluster_key4/6: prefixlen, destination. */
export function clusterKey(destination: string): string[] {
  const dst = prefix(destination);
  return hex([...u32(dst.length), ...dst.bytes]);
}

/** egp_policy_value: action, ifindex, nexthop[16], egress_ip[16] (IPv4 addresses in the first 4 bytes). */
export function policyValue(action: number, ifindex = 0, nexthop?: string, egressIP?: string): string[] {
  const padded = (address?: string) => {
    const bytes = address === undefined ? [] : addressBytes(address);
    return [...bytes, ...new Array<number>(16 - bytes.length).fill(0)];
  };
  return hex([...u32(action), ...u32(ifindex), ...padded(nexthop), ...padded(egressIP)]);
}
