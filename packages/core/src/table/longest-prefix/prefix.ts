// Prefixes as integers, so the compiler's containment tests and its numeric order are a shift and a
// comparison instead of string rewriting (it makes tens of thousands of them per gateway table).
import ipaddr from 'ipaddr.js';
import { parseCidr, type IPFamily } from '../../net/ip.js';

export interface Prefix {
  family: IPFamily;
  /** The network address as an unsigned 32- or 128-bit integer, host bits zero. */
  network: bigint;
  length: number;
  /** Canonical CIDR text. */
  text: string;
}

const WIDTH: Record<IPFamily, bigint> = { 4: 32n, 6: 128n };

/**
 * A canonical address as an integer, for sorting sources: a number for IPv4 (read without the parser, since
 * sources are most of the work), a bigint for IPv6. Values of one family compare with `<`.
 */
export function addressValue(canonical: string, family: IPFamily): number | bigint {
  if (family === 4) {
    const value = ipv4Value(canonical);
    if (value === null) throw new Error(`table holds an invalid IPv4 address ${canonical}`);
    return value;
  }
  let value = 0n;
  for (const byte of ipaddr.parse(canonical).toByteArray()) value = (value << 8n) | BigInt(byte);
  return value;
}

/** Parses CIDR text once per distinct text (a table repeats the same few destinations). */
export class PrefixParser {
  private readonly cache = new Map<string, Prefix>();

  parse(text: string): Prefix {
    let prefix = this.cache.get(text);
    if (prefix === undefined) {
      prefix = canonicalIPv4Prefix(text) ?? fromCidr(text);
      this.cache.set(text, prefix);
    }
    return prefix;
  }
}

function fromCidr(text: string): Prefix {
  const parsed = parseCidr(text);
  if ('error' in parsed) throw new Error(`table holds an invalid CIDR ${text}: ${parsed.error}`);
  const { family, network, prefixLength } = parsed.cidr;
  return {
    family,
    network: BigInt(addressValue(network, family)),
    length: prefixLength,
    text: parsed.cidr.text,
  };
}

/**
 * The common case without the general parser: a cluster's thousands of node IPs are canonical IPv4 host
 * routes. Anything else (IPv6, or text that is not canonical) is null and goes through `parseCidr`.
 */
function canonicalIPv4Prefix(text: string): Prefix | null {
  const slash = text.indexOf('/');
  if (slash < 0 || text.includes(':')) return null;
  const value = ipv4Value(text.slice(0, slash));
  const length = Number(text.slice(slash + 1));
  if (value === null || !Number.isInteger(length) || length < 0 || length > 32) return null;
  if (`${length}` !== text.slice(slash + 1) || value % 2 ** (32 - length) !== 0) return null;
  return { family: 4, network: BigInt(value), length, text };
}

/** A canonical dotted-quad IPv4 address (no leading zeros) as a number, or null. */
function ipv4Value(text: string): number | null {
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 46 /* . */) {
      if (digits === 0 || ++dots > 3) return null;
      value = value * 256 + part;
      part = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && part === 0) return null;
      part = part * 10 + (c - 48);
      digits++;
      if (part > 255) return null;
    } else return null;
  }
  return dots === 3 && digits > 0 ? value * 256 + part : null;
}

/** True when `inner` lies entirely within `outer` (equal prefixes included). */
export function prefixContains(outer: Prefix, inner: Prefix): boolean {
  return (
    outer.family === inner.family &&
    outer.length <= inner.length &&
    (outer.network ^ inner.network) >> (WIDTH[outer.family] - BigInt(outer.length)) === 0n
  );
}

/** Family, then network address, then length: a prefix comes right before the prefixes inside it. */
export function comparePrefixes(a: Prefix, b: Prefix): number {
  return (
    a.family - b.family || (a.network < b.network ? -1 : a.network > b.network ? 1 : a.length - b.length)
  );
}

/** Answers "is this prefix inside one of the set's?" with one lookup per distinct prefix length. */
export class PrefixCover {
  /** family → length → networks shifted down to their `length` significant bits. */
  private readonly byLength = new Map<IPFamily, Map<number, Set<bigint>>>();

  constructor(prefixes: Iterable<Prefix>) {
    for (const prefix of prefixes) {
      let lengths = this.byLength.get(prefix.family);
      if (!lengths) this.byLength.set(prefix.family, (lengths = new Map()));
      let networks = lengths.get(prefix.length);
      if (!networks) lengths.set(prefix.length, (networks = new Set()));
      networks.add(prefix.network >> (WIDTH[prefix.family] - BigInt(prefix.length)));
    }
  }

  covers(prefix: Prefix): boolean {
    for (const [length, networks] of this.byLength.get(prefix.family) ?? []) {
      if (length > prefix.length) continue;
      if (networks.has(prefix.network >> (WIDTH[prefix.family] - BigInt(length)))) return true;
    }
    return false;
  }
}

/**
 * The fewest prefixes with the same union: contained prefixes are dropped and two halves of one prefix
 * become that prefix (a cluster's node IPs are often consecutive addresses). Sorted like `comparePrefixes`.
 */
export function collapsePrefixes(prefixes: Iterable<Prefix>, parser: PrefixParser): Prefix[] {
  const sorted = [...prefixes].sort(comparePrefixes);
  const out: Prefix[] = [];
  for (const prefix of sorted) {
    const last = out[out.length - 1];
    // Sorted order puts a container first, so a prefix is redundant exactly when the last kept one holds it.
    if (last !== undefined && prefixContains(last, prefix)) continue;
    out.push(prefix);
    // The output stays disjoint and sorted, so a prefix's other half can only be the one just before it.
    for (;;) {
      const right = out[out.length - 1] as Prefix;
      const left = out[out.length - 2];
      if (left === undefined || !areHalves(left, right)) break;
      out.splice(-2, 2, parent(left, parser));
    }
  }
  return out;
}

function areHalves(left: Prefix, right: Prefix): boolean {
  if (left.family !== right.family || left.length !== right.length || left.length === 0) return false;
  const bit = 1n << (WIDTH[left.family] - BigInt(left.length));
  return (left.network & bit) === 0n && (left.network | bit) === right.network;
}

function parent(left: Prefix, parser: PrefixParser): Prefix {
  const length = left.length - 1;
  return parser.parse(`${addressText(left.network, left.family)}/${length}`);
}

function addressText(value: bigint, family: IPFamily): string {
  const bytes: number[] = [];
  for (let i = 0; i < Number(WIDTH[family]) / 8; i++) bytes.unshift(Number((value >> BigInt(8 * i)) & 0xffn));
  return ipaddr.fromByteArray(bytes).toString();
}
