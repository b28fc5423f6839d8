// IP and CIDR parsing over ipaddr.js, the parser Node's own ecosystem relies on (express, proxy-addr).
// Addresses are kept as canonical strings (what the kernel tools print and accept) plus a family.
import ipaddr from 'ipaddr.js';

export type IPFamily = 4 | 6;

export interface Cidr {
  family: IPFamily;
  /** Canonical network address, host bits zero. */
  network: string;
  prefixLength: number;
  /** `network/prefixLength`, the canonical text form. */
  text: string;
}

/** Canonical text of an IP address, or null if it is not one (no zones, no IPv4 shorthand like `10.1`). */
export function canonicalIP(text: string): string | null {
  if (typeof text !== 'string' || text.includes('%')) return null;
  if (text.includes(':')) {
    if (!ipaddr.IPv6.isValid(text)) return null;
    const address = ipaddr.IPv6.parse(text);
    return address.isIPv4MappedAddress() ? null : address.toString();
  }
  if (!ipaddr.IPv4.isValidFourPartDecimal(text)) return null;
  return ipaddr.IPv4.parse(text).toString();
}

export function ipFamily(canonical: string): IPFamily {
  return canonical.includes(':') ? 6 : 4;
}

/** Parses `a.b.c.d/n` or `x::/n`; host bits must be zero, as Kubernetes requires for CIDR fields. */
export function parseCidr(text: string): { cidr: Cidr } | { error: string } {
  if (typeof text !== 'string' || !text.includes('/'))
    return { error: 'must be a CIDR such as 203.0.113.0/24' };
  // Every part, not split('/', 2): a limit would silently cut `203.0.113.0/24/8` to `203.0.113.0/24`.
  const parts = text.split('/');
  if (parts.length !== 2) return { error: 'more than one "/": a CIDR is one address and one prefix length' };
  const [addressText = '', prefixText = ''] = parts;
  const address = canonicalIP(addressText);
  if (address === null) return { error: `"${addressText}" is not a valid IP address` };
  const family = ipFamily(address);
  const maxPrefix = family === 4 ? 32 : 128;
  // Plain decimal only: no sign, no space, no leading zero (as Kubernetes' strict CIDR parsing, which refuses `/08`).
  if (!/^(0|[1-9]\d{0,2})$/.test(prefixText) || Number(prefixText) > maxPrefix) {
    return { error: `prefix length must be an integer from 0 to ${maxPrefix} without leading zeros` };
  }
  const prefixLength = Number(prefixText);
  const network = networkAddress(address, prefixLength);
  if (network !== address) {
    return { error: `host bits are set; the network is ${network}/${prefixLength}` };
  }
  return { cidr: { family, network, prefixLength, text: `${network}/${prefixLength}` } };
}

export function hostCidr(canonical: string): Cidr {
  const family = ipFamily(canonical);
  const prefixLength = family === 4 ? 32 : 128;
  return { family, network: canonical, prefixLength, text: `${canonical}/${prefixLength}` };
}

export function defaultRoute(family: IPFamily): Cidr {
  return family === 4
    ? { family, network: '0.0.0.0', prefixLength: 0, text: '0.0.0.0/0' }
    : { family, network: '::', prefixLength: 0, text: '::/0' };
}

export function networkAddress(canonical: string, prefixLength: number): string {
  const bytes = ipaddr.parse(canonical).toByteArray();
  for (let bit = prefixLength; bit < bytes.length * 8; bit++) {
    const index = bit >> 3;
    bytes[index] = (bytes[index] ?? 0) & ~(0x80 >> (bit & 7));
  }
  return ipaddr.fromByteArray(bytes).toString();
}

export function cidrContainsIP(cidr: Cidr, canonical: string): boolean {
  if (ipFamily(canonical) !== cidr.family) return false;
  return networkAddress(canonical, cidr.prefixLength) === cidr.network;
}

/** True when `inner` lies entirely within `outer`. */
export function cidrContainsCidr(outer: Cidr, inner: Cidr): boolean {
  return (
    outer.family === inner.family &&
    outer.prefixLength <= inner.prefixLength &&
    networkAddress(inner.network, outer.prefixLength) === outer.network
  );
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  return cidrContainsCidr(a, b) || cidrContainsCidr(b, a);
}

/** The special-purpose ranges an egress IP must never be: the outside world cannot route back to them. */
export function reservedRangeOf(canonical: string): string | null {
  const range = ipaddr.parse(canonical).range();
  const reserved: Record<string, string> = {
    unspecified: 'unspecified',
    loopback: 'loopback',
    linkLocal: 'link-local',
    multicast: 'multicast',
    broadcast: 'broadcast',
  };
  return reserved[range] ?? null;
}
