// The TypeScript mirror of the NAT maps of bpf/egress_maps.h (egp_nat4_fwd, egp_nat4_rev, egp_nat6_fwd,
// egp_nat6_rev): names, sizes and the exact key and value bytes, decoded from and encoded to the lowercase hex
// that map dumps are normalized to (src/maps/map-dump.ts). Change both together.
//
// With W the address width (4 or 16), every key is: address, address, port, port (network order), protocol,
// 3 bytes of padding. A forward value is last_seen (u64, host order), the translated port, padding, and the
// egress IP at byte 12 (IPv4) or 16 (IPv6); a reverse value is last_seen, the pod, the pod's port, padding to
// a multiple of 8. bpf_ktime_get_ns() is CLOCK_MONOTONIC: compare last_seen with process.hrtime.bigint().
import { isIP } from 'node:net';
import { endianness } from 'node:os';
import type { IPFamily } from '@egress-proxier/core';
import ipaddr from 'ipaddr.js';
import { MapDumpError } from '../maps/map-dump.js';
import type { MapContent } from '../maps/desired-maps.js';

export type NatMapId = 'fwd4' | 'rev4' | 'fwd6' | 'rev6';
export type NatDirection = 'forward' | 'reverse';

export interface NatMapSpec {
  /** The BPF object name and the pin's file name (at most 15 characters). */
  name: string;
  family: IPFamily;
  direction: NatDirection;
  keySize: number;
  valueSize: number;
  maxEntries: number;
}

export const NAT_MAX_ENTRIES = 262_144;
/** EGP_NAT_PORT_MIN..MAX: the ports a claim probes when the pod's own is taken. */
export const NAT_PORT_MIN = 32_768;
export const NAT_PORT_MAX = 60_999;

export const NAT_MAPS: Readonly<Record<NatMapId, NatMapSpec>> = {
  fwd4: spec('egp_nat4_fwd', 4, 'forward'),
  rev4: spec('egp_nat4_rev', 4, 'reverse'),
  fwd6: spec('egp_nat6_fwd', 6, 'forward'),
  rev6: spec('egp_nat6_rev', 6, 'reverse'),
};

export const NAT_MAP_IDS: readonly NatMapId[] = ['fwd4', 'rev4', 'fwd6', 'rev6'];

/** Echo (ICMP or ICMPv6) is 'icmp'; 'other' is a protocol the programs never write. */
export type NatProtocol = 'tcp' | 'udp' | 'icmp' | 'other';

/** pod → remote, as the pod sent it. */
export interface NatForwardKey {
  pod: string;
  remote: string;
  podPort: number;
  remotePort: number;
  protocol: NatProtocol;
  /** The IP protocol number as stored (6, 17, 1 or 58). */
  protocolNumber: number;
}

export interface NatForwardValue {
  lastSeenNs: bigint;
  /** The translated source port (echo: identifier). */
  port: number;
  egress: string;
}

/** remote → egress IP, as a reply arrives. */
export interface NatReverseKey {
  egress: string;
  remote: string;
  /** The translated port. */
  port: number;
  remotePort: number;
  protocol: NatProtocol;
  protocolNumber: number;
}

export interface NatReverseValue {
  lastSeenNs: bigint;
  pod: string;
  podPort: number;
}

export interface NatForwardEntry {
  hexKey: string;
  key: NatForwardKey;
  value: NatForwardValue;
}

export interface NatReverseEntry {
  hexKey: string;
  key: NatReverseKey;
  value: NatReverseValue;
}

const littleEndian = endianness() === 'LE';
const PROTOCOLS: Readonly<Record<number, NatProtocol>> = { 6: 'tcp', 17: 'udp', 1: 'icmp', 58: 'icmp' };

function spec(name: string, family: IPFamily, direction: NatDirection): NatMapSpec {
  const width = family === 4 ? 4 : 16;
  const valueSize = direction === 'forward' ? forwardEgressOffset(family) + width : roundUp8(8 + width + 2);
  return { name, family, direction, keySize: 2 * width + 8, valueSize, maxEntries: NAT_MAX_ENTRIES };
}

function forwardEgressOffset(family: IPFamily): number {
  return family === 4 ? 12 : 16;
}

function roundUp8(size: number): number {
  return Math.ceil(size / 8) * 8;
}

function width(family: IPFamily): number {
  return family === 4 ? 4 : 16;
}

export function protocolNumberOf(protocol: Exclude<NatProtocol, 'other'>, family: IPFamily): number {
  if (protocol === 'icmp') return family === 4 ? 1 : 58;
  return protocol === 'tcp' ? 6 : 17;
}

export function decodeNatEntries(map: 'fwd4' | 'fwd6', content: MapContent): NatForwardEntry[];
export function decodeNatEntries(map: 'rev4' | 'rev6', content: MapContent): NatReverseEntry[];
export function decodeNatEntries(map: NatMapId, content: MapContent): (NatForwardEntry | NatReverseEntry)[];
export function decodeNatEntries(map: NatMapId, content: MapContent): (NatForwardEntry | NatReverseEntry)[] {
  const { family, direction, keySize, valueSize, name } = NAT_MAPS[map];
  return [...content].map(([hexKey, hexValue]) => {
    const key = Buffer.from(hexKey, 'hex');
    const value = Buffer.from(hexValue, 'hex');
    if (key.length !== keySize || value.length !== valueSize)
      throw new MapDumpError(
        `${name}: a ${key.length}-byte key and a ${value.length}-byte value, expected ${keySize} and ${valueSize}`,
      );
    const parts = decodeKey(key, family);
    if (direction === 'forward')
      return {
        hexKey,
        key: { pod: parts.first, remote: parts.second, podPort: parts.firstPort, ...parts.rest },
        value: {
          lastSeenNs: hostU64(value),
          port: value.readUInt16BE(8),
          egress: address(value, forwardEgressOffset(family), family),
        },
      };
    const w = width(family);
    return {
      hexKey,
      key: { egress: parts.first, remote: parts.second, port: parts.firstPort, ...parts.rest },
      value: {
        lastSeenNs: hostU64(value),
        pod: address(value, 8, family),
        podPort: value.readUInt16BE(8 + w),
      },
    };
  });
}

export function encodeNatForwardKey(family: IPFamily, key: Omit<NatForwardKey, 'protocol'>): Buffer {
  return encodeKey(family, key.pod, key.remote, key.podPort, key.remotePort, key.protocolNumber);
}

export function encodeNatReverseKey(family: IPFamily, key: Omit<NatReverseKey, 'protocol'>): Buffer {
  return encodeKey(family, key.egress, key.remote, key.port, key.remotePort, key.protocolNumber);
}

export function encodeNatForwardValue(family: IPFamily, value: NatForwardValue): Buffer {
  const bytes = Buffer.alloc(NAT_MAPS[family === 4 ? 'fwd4' : 'fwd6'].valueSize);
  writeHostU64(bytes, value.lastSeenNs);
  bytes.writeUInt16BE(value.port, 8);
  addressBytes(value.egress, family).copy(bytes, forwardEgressOffset(family));
  return bytes;
}

export function encodeNatReverseValue(family: IPFamily, value: NatReverseValue): Buffer {
  const bytes = Buffer.alloc(NAT_MAPS[family === 4 ? 'rev4' : 'rev6'].valueSize);
  writeHostU64(bytes, value.lastSeenNs);
  addressBytes(value.pod, family).copy(bytes, 8);
  bytes.writeUInt16BE(value.podPort, 8 + width(family));
  return bytes;
}

/** The reverse key a forward entry's flow was claimed under. */
export function reverseKeyOf(family: IPFamily, entry: NatForwardEntry): string {
  const { key, value } = entry;
  return encodeNatReverseKey(family, {
    egress: value.egress,
    remote: key.remote,
    port: value.port,
    remotePort: key.remotePort,
    protocolNumber: key.protocolNumber,
  }).toString('hex');
}

/** The forward key of the flow a reverse entry translates back to. */
export function forwardKeyOf(family: IPFamily, entry: NatReverseEntry): string {
  const { key, value } = entry;
  return encodeNatForwardKey(family, {
    pod: value.pod,
    remote: key.remote,
    podPort: value.podPort,
    remotePort: key.remotePort,
    protocolNumber: key.protocolNumber,
  }).toString('hex');
}

/** Canonical text of an address (as decoded entries carry it), for comparing with configured addresses. */
export function canonicalAddress(text: string): string {
  if (isIP(text) === 0) throw new Error(`"${text}" is not an IP address`);
  return ipaddr.parse(text).toString();
}

function decodeKey(key: Buffer, family: IPFamily) {
  const w = width(family);
  const protocolNumber = key.readUInt8(2 * w + 4);
  return {
    first: address(key, 0, family),
    second: address(key, w, family),
    firstPort: key.readUInt16BE(2 * w),
    rest: {
      remotePort: key.readUInt16BE(2 * w + 2),
      protocol: PROTOCOLS[protocolNumber] ?? 'other',
      protocolNumber,
    },
  };
}

function encodeKey(
  family: IPFamily,
  first: string,
  second: string,
  firstPort: number,
  secondPort: number,
  protocolNumber: number,
): Buffer {
  const w = width(family);
  const bytes = Buffer.alloc(2 * w + 8);
  addressBytes(first, family).copy(bytes, 0);
  addressBytes(second, family).copy(bytes, w);
  bytes.writeUInt16BE(firstPort, 2 * w);
  bytes.writeUInt16BE(secondPort, 2 * w + 2);
  bytes.writeUInt8(protocolNumber, 2 * w + 4);
  return bytes;
}

function address(bytes: Buffer, offset: number, family: IPFamily): string {
  return ipaddr.fromByteArray([...bytes.subarray(offset, offset + width(family))]).toString();
}

function addressBytes(text: string, family: IPFamily): Buffer {
  if (!ipaddr.isValid(text)) throw new Error(`"${text}" is not an IP address`);
  const parsed = ipaddr.parse(text);
  if ((parsed.kind() === 'ipv4' ? 4 : 6) !== family)
    throw new Error(`"${text}" is not an IPv${family} address`);
  return Buffer.from(parsed.toByteArray());
}

function hostU64(bytes: Buffer): bigint {
  return littleEndian ? bytes.readBigUInt64LE(0) : bytes.readBigUInt64BE(0);
}

function writeHostU64(bytes: Buffer, value: bigint): void {
  if (littleEndian) bytes.writeBigUInt64LE(value, 0);
  else bytes.writeBigUInt64BE(value, 0);
}
