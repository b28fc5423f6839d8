// Kernel names of what this backend owns: one inet table, its chains and sets. Everything of ours lives in that
// table, so ownership is the table itself: cleanup deletes it, drift checks read it, nothing else is touched.
import type { IPFamily } from '@egress-proxier/core/plugin';
import { hex } from '@egress-proxier/node-datapath';

export const TABLE_FAMILY = 'inet';
export const TABLE_NAME = 'egress-proxier';
/** `inet egress-proxier`, as nft commands name it. */
export const TABLE = `${TABLE_FAMILY} ${TABLE_NAME}`;
/** Starts the table's comment; the rest is the digest of the table's structure (see render/nft-script.ts). */
export const COMMENT_PREFIX = 'egress-proxier structure ';

/** Chain names avoid nft keywords (`mark`, `forward` are keywords and would need quoting). */
export const CHAINS = {
  steer: 'mark-steered',
  mss: 'clamp-mss',
  guard: 'forward-guard',
  snat: 'postrouting-snat',
  count: 'count-sent',
} as const;

/**
 * Hook priorities. The SNAT chain runs at srcnat - 10, before any srcnat chain of another table (a CNI's
 * masquerade, iptables-nft's and iptables-legacy's nat POSTROUTING, all at srcnat = 100): the first nat chain
 * that sets up a binding for a new connection decides its source, and later ones are not consulted.
 */
export const PRIORITIES = {
  steer: 'mangle',
  mss: 'mangle',
  guard: 'filter',
  snat: 'srcnat - 10',
  /** After every nat chain (ours at srcnat - 10, the others at srcnat): sources are egress IPs by then. */
  count: 'srcnat + 10',
} as const;

export interface FamilySetNames {
  cluster: string;
  snat: string;
  steer: string;
  drop: string;
  /** Hosted egress IPs, with a counter each: bytes sent with one as the source. */
  sent: string;
  /** The same IPs, counting only first packets: connections translated to one. */
  opened: string;
}

export function setNames(family: IPFamily): FamilySetNames {
  return {
    cluster: `cluster${family}`,
    snat: `snat${family}`,
    steer: `steer${family}`,
    drop: `drop${family}`,
    sent: `sent${family}`,
    opened: `opened${family}`,
  };
}

/** The chain a steer verdict jumps to: one per gateway slot, named by its mark (stable while the slot is). */
export function steerChainName(mark: number): string {
  return `steer-${hex(mark)}`;
}

/** The mark a steer chain's name carries, for re-learning slots from the kernel. */
export function markOfSteerChain(name: string): number | undefined {
  const match = /^steer-(0x[0-9a-f]+)$/.exec(name);
  return match === null ? undefined : Number(match[1]);
}
