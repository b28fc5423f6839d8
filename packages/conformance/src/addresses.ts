// The suite's address plan, per family, inside the lab's ranges (netlab's topology.ts): egress IPs on the
// node subnet (192.0.2.0/24, 2001:db8:2::/64), outside servers in 198.51.100.0/24, 203.0.113.0/24 and
// their 2001:db8::/32 twins, pods in 10.244.0.0/16 and fd00:10:244::/48.
import type { IPFamily } from '@egress-proxier/core';

export type Family = IPFamily;
export const FAMILIES: readonly Family[] = [4, 6];

export type PerFamily = Readonly<Record<Family, string>>;

/** Egress IPs by the letter cases name them with. */
export const EGRESS_IPS = {
  a: { 4: '192.0.2.100', 6: '2001:db8:2::100' },
  b: { 4: '192.0.2.101', 6: '2001:db8:2::101' },
  c: { 4: '192.0.2.102', 6: '2001:db8:2::102' },
  d: { 4: '192.0.2.103', 6: '2001:db8:2::103' },
} as const satisfies Record<string, PerFamily>;
export type EgressKey = keyof typeof EGRESS_IPS;

/** The external servers (IPv4 addresses; the lab gives each its IPv6 twin). */
export const EXTERNALS = ['198.51.100.10', '203.0.113.10', '203.0.113.200'] as const;

/** Destinations cases name: an external server's address and the prefixes around it. */
export const SERVERS = {
  web: { 4: '198.51.100.10', 6: '2001:db8:100::10' },
  db: { 4: '203.0.113.10', 6: '2001:db8:113::10' },
  /** In db's destination prefix, but in its excluded prefix. */
  dbExcluded: { 4: '203.0.113.200', 6: '2001:db8:113::200' },
} as const satisfies Record<string, PerFamily>;
export type ServerKey = keyof typeof SERVERS;

export const PREFIXES = {
  web: { 4: '198.51.100.0/24', 6: '2001:db8:100::/64' },
  db: { 4: '203.0.113.0/24', 6: '2001:db8:113::/64' },
  dbExcluded: { 4: '203.0.113.128/25', 6: '2001:db8:113::200/120' },
} as const satisfies Record<string, PerFamily>;
export type PrefixKey = keyof typeof PREFIXES;

/** Pod and service ranges the core is told about: never SNATed. */
export const CLUSTER_CIDRS = ['10.244.0.0/16', '10.96.0.0/12', 'fd00:10:244::/48', 'fd00:10:96::/112'];
