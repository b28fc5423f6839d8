// Addresses and prefixes as integers, for cutting nested longest-prefix entries into the disjoint ranges an
// nftables interval map holds, and for printing them the way `nft list` does (a range that is a prefix as a
// prefix), so rendered elements and read-back elements compare as text.
import type { IPFamily } from '@egress-proxier/core/plugin';
import ipaddr from 'ipaddr.js';

export interface AddressRange {
  family: IPFamily;
  first: bigint;
  last: bigint;
}

const BITS: Record<IPFamily, number> = { 4: 32, 6: 128 };

export function addressToBigInt(text: string): { family: IPFamily; value: bigint } {
  if (!ipaddr.isValid(text)) throw new Error(`${text} is not an IP address`);
  const address = ipaddr.parse(text);
  let value = 0n;
  for (const byte of address.toByteArray()) value = (value << 8n) | BigInt(byte);
  return { family: address.kind() === 'ipv4' ? 4 : 6, value };
}

export function bigIntToAddress(value: bigint, family: IPFamily): string {
  const bytes: number[] = [];
  for (let i = BITS[family] / 8 - 1; i >= 0; i--) bytes.push(Number((value >> BigInt(i * 8)) & 0xffn));
  return ipaddr.fromByteArray(bytes).toString();
}

/** A CIDR (canonical or not) as the range of addresses it covers. */
export function prefixRange(cidr: string): AddressRange {
  const [address = '', lengthText] = cidr.split('/');
  const { family, value } = addressToBigInt(address);
  const bits = BITS[family];
  const length = lengthText === undefined ? bits : Number(lengthText);
  if (!Number.isInteger(length) || length < 0 || length > bits) throw new Error(`${cidr} is not a CIDR`);
  const hostBits = BigInt(bits - length);
  const first = (value >> hostBits) << hostBits;
  return { family, first, last: first + (1n << hostBits) - 1n };
}

/** `a/len` when the range is exactly one prefix, otherwise `a-b`; a single address is `a/32` or `a/128`. */
export function rangeText(range: AddressRange): string {
  const size = range.last - range.first + 1n;
  const isPowerOfTwo = size > 0n && (size & (size - 1n)) === 0n;
  if (isPowerOfTwo && range.first % size === 0n) {
    const hostBits = size.toString(2).length - 1;
    return `${bigIntToAddress(range.first, range.family)}/${BITS[range.family] - hostBits}`;
  }
  return `${bigIntToAddress(range.first, range.family)}-${bigIntToAddress(range.last, range.family)}`;
}

/** Normalises `a`, `a/len` or `a-b` to rangeText's form. */
export function normaliseRange(text: string): string {
  const dash = text.indexOf('-');
  if (dash < 0) return rangeText(prefixRange(text));
  const first = addressToBigInt(text.slice(0, dash));
  const last = addressToBigInt(text.slice(dash + 1));
  if (first.family !== last.family || first.value > last.value) throw new Error(`${text} is not a range`);
  return rangeText({ family: first.family, first: first.value, last: last.value });
}
