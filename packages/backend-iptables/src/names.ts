// Every kernel object name this backend owns. Cleanup finds its objects by these prefixes, so nothing here may
// collide with names other tools use (kube-proxy's KUBE-*, Calico's cali-*, flannel's FLANNEL-*).
import { createHash } from 'node:crypto';
import type { IPFamily } from '@egress-proxier/core';

export const CHAIN_PREFIX = 'EGRESS-PROXIER-';

export const CHAINS = {
  /** nat: SNAT to egress IPs; first in POSTROUTING so the CNI's MASQUERADE never sees steered packets. */
  postrouting: 'EGRESS-PROXIER-POSTROUTING',
  /** mangle: marks pod packets that must be routed to another node's egress IP. */
  mark: 'EGRESS-PROXIER-MARK',
  /** mangle: TCP MSS clamping for connections steered through the VXLAN device. */
  mss: 'EGRESS-PROXIER-MSS',
  /** filter: drops traffic of FailClosed policies without a live gateway, and steered-in traffic not SNATed here. */
  forward: 'EGRESS-PROXIER-FORWARD',
  /** filter: new connections steered in from another node; RETURNs those a snat rule of this node takes. */
  steeredIn: 'EGRESS-PROXIER-STEERED-IN',
  /**
   * mangle: one rule per egress IP hosted here, reached by the packets of connections SNATed to one of them
   * after their first: the rules' byte counters are the traffic metrics' bytes (nothing runs after nat).
   */
  account: 'EGRESS-PROXIER-ACCOUNT',
  /** In every table we use: holds one rule; its absence means someone flushed or deleted our chains. */
  canary: 'EGRESS-PROXIER-CANARY',
} as const;

export type IptablesTable = 'mangle' | 'filter' | 'nat';
export const TABLES: readonly IptablesTable[] = ['mangle', 'filter', 'nat'];

/** ipset names are at most 31 characters; all of ours start with this. */
export const IPSET_PREFIX = 'EGP-';

export function sourceSetName(sourceSetId: string): string {
  return `${IPSET_PREFIX}S-${shortHash(sourceSetId)}`;
}

export function isSourceSetName(name: string): boolean {
  return name.startsWith(`${IPSET_PREFIX}S-`);
}

export function excludedSetName(family: IPFamily, cidrs: readonly string[]): string {
  return `${IPSET_PREFIX}X-${shortHash(`${family}|${cidrs.join(',')}`)}`;
}

export function clusterSetName(family: IPFamily): string {
  return `${IPSET_PREFIX}CLUSTER-${family}`;
}

/** A scratch set built aside and swapped in when a set must change type or family. */
export function tempSetName(name: string): string {
  return `${IPSET_PREFIX}T-${shortHash(name)}`;
}

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16).toUpperCase();
}
