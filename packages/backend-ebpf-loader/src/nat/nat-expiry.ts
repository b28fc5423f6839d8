// Which NAT entries to delete, from the four maps' dumps (pure: no kernel, no clock of its own). The LRU maps only
// evict under pressure, so without this an idle flow's port stays claimed, and a flow of an egress IP that left
// the node keeps translating replies that will never come.
//
// The two directions are decided together. A forward entry names its egress IP and translated port, so its
// reverse key is known; when that reverse entry translates back to the same pod and port, the two are one flow:
//   - stale: the egress IP is not hosted by this node any more → both go, however busy;
//   - expired: idle past its protocol's timeout, counting the last packet either way (the programs refresh the
//     forward entry's last_seen on the way out and the reverse entry's both ways) → both go.
// An entry without its partner (the LRU evicted one, or a port was claimed again) is decided on its own
// last_seen and egress IP.
//
// Timeouts (seconds): TCP 7440 (2 h 4 min, RFC 5382 REQ-5's floor for an established connection; the programs
// do not follow FIN/RST, so closed connections stay that long too, which only costs a port), UDP 120 (RFC 4787
// REQ-5's floor), ICMP echo 60 (RFC 5508 REQ-1's floor; conntrack's 30 s is below it). 'other' (never written
// by the programs) expires like ICMP.
import type { IPFamily } from '@egress-proxier/core';
import type { MapContent } from '../maps/desired-maps.js';
import {
  canonicalAddress,
  decodeNatEntries,
  reverseKeyOf,
  type NatForwardEntry,
  type NatMapId,
  type NatProtocol,
  type NatReverseEntry,
} from './nat-layout.js';

export interface NatTimeouts {
  /** Seconds without a packet after which a flow's entries go. */
  tcp: number;
  udp: number;
  icmp: number;
}

export const DEFAULT_NAT_TIMEOUTS: Readonly<NatTimeouts> = { tcp: 7440, udp: 120, icmp: 60 };

export type NatDumps = Record<NatMapId, MapContent>;

export interface NatSweepOptions {
  /** The egress IPs this node hosts now; entries of any other are stale. */
  hostedEgressIPs: Iterable<string>;
  /** CLOCK_MONOTONIC in nanoseconds (process.hrtime.bigint()), the clock of bpf_ktime_get_ns(). */
  nowNs: bigint;
  timeouts?: Partial<NatTimeouts>;
  /** false: only stale entries go (a cheap check at every sync); idle ones wait for a sweep with true. */
  expireIdle?: boolean;
}

export type NatDeletionReason = 'expired' | 'stale';

export interface NatDeletion {
  map: NatMapId;
  /** Hex key, as in the dump. */
  key: string;
  reason: NatDeletionReason;
}

export interface NatSweepPlan {
  /** Entries in the four dumps. */
  seen: number;
  expired: number;
  stale: number;
  /** Forward entries before reverse ones, IPv4 before IPv6. */
  deletions: NatDeletion[];
}

export function natTimeouts(timeouts: Partial<NatTimeouts> = {}): NatTimeouts {
  const merged = { ...DEFAULT_NAT_TIMEOUTS, ...timeouts };
  for (const [protocol, seconds] of Object.entries(merged))
    if (!Number.isFinite(seconds) || seconds <= 0)
      throw new Error(`NAT timeout for ${protocol} must be a positive number of seconds, not ${seconds}`);
  return merged;
}

/** How long a flow of `protocol` may go without a packet before its entries expire, in nanoseconds. */
export function idleLimitNs(timeouts: NatTimeouts, protocol: NatProtocol): bigint {
  return BigInt(Math.round((protocol === 'other' ? timeouts.icmp : timeouts[protocol]) * 1e9));
}

export function planNatSweep(dumps: NatDumps, options: NatSweepOptions): NatSweepPlan {
  const timeouts = natTimeouts(options.timeouts);
  const hosted = new Set([...options.hostedEgressIPs].map(canonicalAddress));
  const isIdle = (protocol: NatProtocol, lastSeenNs: bigint) =>
    options.expireIdle !== false && options.nowNs - lastSeenNs > idleLimitNs(timeouts, protocol);

  const deletions: NatDeletion[] = [];
  for (const family of [4, 6] as const) {
    const ids = family === 4 ? (['fwd4', 'rev4'] as const) : (['fwd6', 'rev6'] as const);
    const forward = decodeNatEntries(ids[0], dumps[ids[0]]);
    const reverse = new Map(decodeNatEntries(ids[1], dumps[ids[1]]).map((entry) => [entry.hexKey, entry]));
    const forwardDeletions: NatDeletion[] = [];
    const reverseDeletions: NatDeletion[] = [];
    const paired = new Set<string>();
    for (const entry of forward) {
      const partner = partnerOf(family, entry, reverse);
      if (partner !== undefined) paired.add(partner.hexKey);
      const reason: NatDeletionReason | undefined = !hosted.has(entry.value.egress)
        ? 'stale'
        : isIdle(entry.key.protocol, maxOf(entry.value.lastSeenNs, partner?.value.lastSeenNs))
          ? 'expired'
          : undefined;
      if (reason === undefined) continue;
      forwardDeletions.push({ map: ids[0], key: entry.hexKey, reason });
      if (partner !== undefined) reverseDeletions.push({ map: ids[1], key: partner.hexKey, reason });
    }
    for (const entry of reverse.values()) {
      if (paired.has(entry.hexKey)) continue;
      const reason: NatDeletionReason | undefined = !hosted.has(entry.key.egress)
        ? 'stale'
        : isIdle(entry.key.protocol, entry.value.lastSeenNs)
          ? 'expired'
          : undefined;
      if (reason !== undefined) reverseDeletions.push({ map: ids[1], key: entry.hexKey, reason });
    }
    deletions.push(...forwardDeletions, ...reverseDeletions);
  }
  const count = (reason: NatDeletionReason) => deletions.filter((entry) => entry.reason === reason).length;
  const seen = Object.values(dumps).reduce((total, content) => total + content.size, 0);
  return { seen, expired: count('expired'), stale: count('stale'), deletions };
}

/** The reverse entry of the same flow: under the forward entry's reverse key, back to the same pod and port. */
function partnerOf(
  family: IPFamily,
  entry: NatForwardEntry,
  reverse: ReadonlyMap<string, NatReverseEntry>,
): NatReverseEntry | undefined {
  const candidate = reverse.get(reverseKeyOf(family, entry));
  if (candidate === undefined) return undefined;
  const { pod, podPort } = candidate.value;
  return pod === entry.key.pod && podPort === entry.key.podPort ? candidate : undefined;
}

function maxOf(a: bigint, b: bigint | undefined): bigint {
  return b !== undefined && b > a ? b : a;
}
