// The TypeScript mirror of bpf/egress_maps.h: map names and sizes, action codes, and the exact key and value
// bytes. Change both together. Keys and values travel as lowercase hex without separators (`hex(buffer)`),
// the form the diff compares and bpftool's dump is normalized to.
//
// `prefixlen` is host order because the kernel's LPM trie reads it as a plain u32 (struct bpf_lpm_trie_key);
// the loader always runs on the host whose kernel reads the map, so os.endianness() is that order (little-endian
// on x86-64 and arm64). Addresses are network order, as the trie matches them bit by bit from the first byte.
import { endianness } from 'node:os';
import type { IPFamily } from '@egress-proxier/core';
import ipaddr from 'ipaddr.js';

export type EgressMapId = 'policy4' | 'policy6' | 'cluster4' | 'cluster6';

export interface EgressMapSpec {
  /** The BPF object name and the pin's file name (at most 15 characters). */
  name: string;
  family: IPFamily;
  keySize: number;
  valueSize: number;
  maxEntries: number;
}

export const POLICY_MAX_ENTRIES = 524_288;
export const CLUSTER_MAX_ENTRIES = 16_384;
const POLICY_VALUE_SIZE = 4 + 4 + 16 + 16;

export const EGRESS_MAPS: Readonly<Record<EgressMapId, EgressMapSpec>> = {
  policy4: {
    name: 'egp_policy4',
    family: 4,
    keySize: 4 + 4 + 4,
    valueSize: POLICY_VALUE_SIZE,
    maxEntries: POLICY_MAX_ENTRIES,
  },
  policy6: {
    name: 'egp_policy6',
    family: 6,
    keySize: 4 + 16 + 16,
    valueSize: POLICY_VALUE_SIZE,
    maxEntries: POLICY_MAX_ENTRIES,
  },
  cluster4: {
    name: 'egp_cluster4',
    family: 4,
    keySize: 4 + 4,
    valueSize: 1,
    maxEntries: CLUSTER_MAX_ENTRIES,
  },
  cluster6: {
    name: 'egp_cluster6',
    family: 6,
    keySize: 4 + 16,
    valueSize: 1,
    maxEntries: CLUSTER_MAX_ENTRIES,
  },
};

/** Order of the maps in a sync (cluster maps first: see map-sync.ts). */
export const EGRESS_MAP_IDS: readonly EgressMapId[] = ['cluster4', 'cluster6', 'policy4', 'policy6'];

export function policyMapOf(family: IPFamily): EgressMapId {
  return family === 4 ? 'policy4' : 'policy6';
}

export function clusterMapOf(family: IPFamily): EgressMapId {
  return family === 4 ? 'cluster4' : 'cluster6';
}

/** EGP_ACTION_*. */
export const ACTION_CODES = { pass: 0, drop: 1, steer: 2, local: 3 } as const;

/** What a policy entry tells the classifier to do; addresses are canonical text of the entry's family. */
export type PolicyValue =
  | { action: 'pass' }
  | { action: 'drop' }
  | { action: 'steer'; ifindex: number; nexthop: string }
  | {
      action: 'local';
      egressIP: string;
      /** The uplink the SNAT sends out of; absent (0 in the map): the packet passes. */
      ifindex?: number;
    };

/** The value of every cluster-map entry (its presence is what counts). */
export const CLUSTER_VALUE = Buffer.from([0x01]);

const littleEndian = endianness() === 'LE';

export function hex(bytes: Buffer): string {
  return bytes.toString('hex');
}

/** Policy key: prefixlen = the whole source (32 or 128) + the destination prefix, then source, destination. */
export function encodePolicyKey(family: IPFamily, source: string, destination: string): Buffer {
  const { address, prefixLength } = splitCidr(destination, family);
  const width = addressWidth(family);
  return Buffer.concat([
    hostU32(width * 8 + prefixLength),
    addressBytes(source, family),
    networkBytes(address, prefixLength, family),
  ]);
}

/**
 * hex(encodePolicyKey(…)) for many keys: each destination's part is encoded once, and IPv4 sources go to hex
 * through a byte table instead of a general parser (a gateway's table has one key per steered pod: 150,000 at
 * scale).
 */
export function policyKeyHexEncoder(): (family: IPFamily, source: string, destination: string) => string {
  const destinations = new Map<string, { prefix: string; destination: string }>();
  return (family, source, destination) => {
    const cacheKey = `${family}|${destination}`;
    let parts = destinations.get(cacheKey);
    if (parts === undefined) {
      const { address, prefixLength } = splitCidr(destination, family);
      parts = {
        prefix: hex(hostU32(addressWidth(family) * 8 + prefixLength)),
        destination: hex(networkBytes(address, prefixLength, family)),
      };
      destinations.set(cacheKey, parts);
    }
    const sourceHex = (family === 4 ? fastIPv4Hex(source) : undefined) ?? hex(addressBytes(source, family));
    return parts.prefix + sourceHex + parts.destination;
  };
}

const BYTE_HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));

/** Canonical dotted-quad text to hex; undefined for anything else (the general parser then decides). */
function fastIPv4Hex(text: string): string | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let out = '';
  for (const part of parts) {
    const byte = Number(part);
    if (!Number.isInteger(byte) || byte < 0 || byte > 255 || part !== String(byte)) return undefined;
    out += BYTE_HEX[byte];
  }
  return out;
}

export function encodeClusterKey(family: IPFamily, destination: string): Buffer {
  const { address, prefixLength } = splitCidr(destination, family);
  return Buffer.concat([hostU32(prefixLength), networkBytes(address, prefixLength, family)]);
}

/** action, ifindex (STEER; LOCAL: the uplink), nexthop[16], egress_ip[16]; IPv4 fills a field's first 4 bytes. */
export function encodePolicyValue(value: PolicyValue): Buffer {
  const bytes = Buffer.alloc(POLICY_VALUE_SIZE);
  const action = ACTION_CODES[value.action];
  if (littleEndian) bytes.writeUInt32LE(action, 0);
  else bytes.writeUInt32BE(action, 0);
  const ifindex =
    value.action === 'steer' ? value.ifindex : value.action === 'local' ? value.ifindex : undefined;
  if (ifindex !== undefined) {
    if (!Number.isInteger(ifindex) || ifindex <= 0 || ifindex > 0xffffffff)
      throw new Error(`${value.action}: ifindex ${ifindex} is not a device index`);
    if (littleEndian) bytes.writeUInt32LE(ifindex, 4);
    else bytes.writeUInt32BE(ifindex, 4);
  }
  if (value.action === 'steer') addressBytes(value.nexthop).copy(bytes, 8);
  else if (value.action === 'local') addressBytes(value.egressIP).copy(bytes, 24);
  return bytes;
}

function hostU32(value: number): Buffer {
  const bytes = Buffer.alloc(4);
  if (littleEndian) bytes.writeUInt32LE(value, 0);
  else bytes.writeUInt32BE(value, 0);
  return bytes;
}

function addressWidth(family: IPFamily): number {
  return family === 4 ? 4 : 16;
}

/** Network-order bytes of an address; with `family`, one of another family throws (a broken table). */
function addressBytes(text: string, family?: IPFamily): Buffer {
  if (!ipaddr.isValid(text)) throw new Error(`"${text}" is not an IP address`);
  const address = ipaddr.parse(text);
  const parsedFamily: IPFamily = address.kind() === 'ipv4' ? 4 : 6;
  if (family !== undefined && parsedFamily !== family)
    throw new Error(`"${text}" is not an IPv${family} address`);
  return Buffer.from(address.toByteArray());
}

/**
 * A prefix's address with its host bits checked to be zero: the trie matches only `prefixlen` bits but stores and
 * dumps them all, so a key with host bits would replace the canonical one and never compare equal to it.
 */
function networkBytes(address: string, prefixLength: number, family: IPFamily): Buffer {
  const bytes = addressBytes(address, family);
  for (let bit = prefixLength; bit < bytes.length * 8; bit++) {
    if (((bytes[bit >> 3] ?? 0) >> (7 - (bit & 7))) & 1)
      throw new Error(`${address}/${prefixLength} has host bits set`);
  }
  return bytes;
}

function splitCidr(text: string, family: IPFamily): { address: string; prefixLength: number } {
  const [address = '', length = ''] = text.split('/');
  const prefixLength = Number(length);
  if (!/^\d{1,3}$/.test(length) || prefixLength > addressWidth(family) * 8)
    throw new Error(`"${text}" is not an IPv${family} CIDR`);
  return { address, prefixLength };
}
