// Go's net/netip parsing, printing and classification, which the Kubernetes CEL IP and CIDR libraries are
// built on: the same strings must be accepted and printed the same way (ip.isCanonical compares with the
// printed form), so this follows netip.ParseAddr/ParsePrefix/Addr.String rule by rule.

/** An address without zone: 4 bytes for IPv4, 16 for IPv6 (an IPv4-mapped IPv6 address stays 16). */
export interface Addr {
  readonly bytes: Uint8Array;
}

export interface Prefix {
  readonly addr: Addr;
  readonly bits: number;
}

export type Parsed<T> = { ok: T } | { error: string };

export function is4(addr: Addr): boolean {
  return addr.bytes.length === 4;
}

export function is4In6(addr: Addr): boolean {
  const b = addr.bytes;
  return b.length === 16 && b.slice(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff;
}

function parseIPv4(s: string): Parsed<Uint8Array> {
  const fields = s.split('.');
  if (fields.length !== 4) return { error: 'IPv4 address too short' };
  const bytes = new Uint8Array(4);
  for (const [i, field] of fields.entries()) {
    if (field === '') return { error: 'IPv4 field must have at least one digit' };
    if (!/^[0-9]+$/.test(field)) return { error: 'unexpected character' };
    if (field.length > 1 && field.startsWith('0')) return { error: 'IPv4 field has octet with leading zero' };
    const value = Number(field);
    if (value > 255) return { error: 'IPv4 field has value >255' };
    bytes[i] = value;
  }
  return { ok: bytes };
}

function parseIPv6(s: string): Parsed<Uint8Array> {
  const bytes = new Uint8Array(16);
  let ellipsis = -1;
  let i = 0;
  let rest = s;
  if (rest.startsWith('::')) {
    ellipsis = 0;
    rest = rest.slice(2);
    if (rest === '') return { ok: bytes };
  }
  while (i < 16) {
    const match = /^[0-9a-fA-F]*/.exec(rest)?.[0] ?? '';
    if (match.length === 0) return { error: 'each colon-separated field must have at least one digit' };
    if (match.length > 4) return { error: 'each colon-separated field must have at most 4 hex digits' };
    if (rest[match.length] === '.') {
      // An embedded IPv4 address ends the text and takes four bytes.
      if (ellipsis < 0 && i !== 12)
        return { error: 'embedded IPv4 address must replace the final 2 fields of the address' };
      if (i + 4 > 16)
        return { error: 'too many hex fields to fit an embedded IPv4 at the end of the address' };
      const v4 = parseIPv4(rest);
      if ('error' in v4) return v4;
      bytes.set(v4.ok, i);
      i += 4;
      rest = '';
      break;
    }
    const value = parseInt(match, 16);
    bytes[i] = value >> 8;
    bytes[i + 1] = value & 0xff;
    i += 2;
    rest = rest.slice(match.length);
    if (rest === '') break;
    if (rest[0] !== ':') return { error: 'unexpected character, want colon' };
    if (rest.length === 1) return { error: 'colon must be followed by more characters' };
    rest = rest.slice(1);
    if (rest[0] === ':') {
      if (ellipsis >= 0) return { error: 'multiple :: in address' };
      ellipsis = i;
      rest = rest.slice(1);
      if (rest === '') break;
    }
  }
  if (rest !== '') return { error: 'trailing garbage after address' };
  if (i < 16) {
    if (ellipsis < 0) return { error: 'address string too short' };
    const shift = 16 - i;
    for (let j = i - 1; j >= ellipsis; j--) bytes[j + shift] = bytes[j] as number;
    bytes.fill(0, ellipsis, ellipsis + shift);
  } else if (ellipsis >= 0) {
    return { error: 'the :: must expand to at least one field of zeros' };
  }
  return { ok: bytes };
}

/** netip.ParseAddr, with a zone reported separately (the CEL library refuses zones). */
export function parseAddr(s: string): Parsed<Addr & { zone: string }> {
  if (s === '') return { error: `ParseAddr(""): unable to parse IP` };
  const quoted = `ParseAddr(${JSON.stringify(s)})`;
  for (const ch of s) {
    if (ch === '.') {
      const v4 = parseIPv4(s);
      return 'error' in v4 ? { error: `${quoted}: ${v4.error}` } : { ok: { bytes: v4.ok, zone: '' } };
    }
    if (ch === ':') {
      const [text = '', ...zoneParts] = s.split('%');
      const zone = zoneParts.join('%');
      if (zoneParts.length > 0 && zone === '') return { error: `${quoted}: zone must be a non-empty string` };
      const v6 = parseIPv6(text);
      return 'error' in v6 ? { error: `${quoted}: ${v6.error}` } : { ok: { bytes: v6.ok, zone } };
    }
    if (ch === '%') break;
  }
  return { error: `${quoted}: unable to parse IP` };
}

/** netip.ParsePrefix: `addr/bits`, bits in decimal without a leading zero, no zone. */
export function parsePrefix(s: string): Parsed<Prefix> {
  const slash = s.lastIndexOf('/');
  const quoted = `netip.ParsePrefix(${JSON.stringify(s)})`;
  if (slash < 0) return { error: `${quoted}: no '/'` };
  const addr = parseAddr(s.slice(0, slash));
  if ('error' in addr) return { error: `${quoted}: ${addr.error}` };
  if (addr.ok.zone !== '') return { error: `${quoted}: IPv6 zones cannot be present in a prefix` };
  const bitsText = s.slice(slash + 1);
  if (!/^(0|[1-9][0-9]*)$/.test(bitsText))
    return { error: `${quoted}: bad bits after slash: ${JSON.stringify(bitsText)}` };
  const bits = Number(bitsText);
  if (bits > addr.ok.bytes.length * 8) return { error: `${quoted}: prefix length out of range` };
  return { ok: { addr: { bytes: addr.ok.bytes }, bits } };
}

/** Addr.String(): dotted IPv4; RFC 5952 IPv6 (longest run of two or more zero fields as ::). */
export function formatAddr(addr: Addr): string {
  const b = addr.bytes;
  if (b.length === 4) return [...b].join('.');
  if (is4In6(addr)) return `::ffff:${[...b.slice(12)].join('.')}`;
  const fields = Array.from({ length: 8 }, (_, i) => ((b[2 * i] as number) << 8) | (b[2 * i + 1] as number));
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && fields[j] === 0) j++;
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = (list: number[]): string => list.map((f) => f.toString(16)).join(':');
  if (bestStart < 0) return hex(fields);
  return `${hex(fields.slice(0, bestStart))}::${hex(fields.slice(bestStart + bestLength))}`;
}

export function formatPrefix(prefix: Prefix): string {
  return `${formatAddr(prefix.addr)}/${prefix.bits}`;
}

/** Prefix.Masked(): the host bits cleared. */
export function masked(prefix: Prefix): Prefix {
  const bytes = prefix.addr.bytes.map((byte, i) => {
    const keep = Math.max(0, Math.min(8, prefix.bits - 8 * i));
    return byte & ((0xff << (8 - keep)) & 0xff);
  });
  return { addr: { bytes }, bits: prefix.bits };
}

/** Prefix.Contains: same family and the first `bits` bits equal. */
export function prefixContains(prefix: Prefix, addr: Addr): boolean {
  if (addr.bytes.length !== prefix.addr.bytes.length) return false;
  const network = masked(prefix).addr.bytes;
  const candidate = masked({ addr, bits: prefix.bits }).addr.bytes;
  return network.every((byte, i) => byte === candidate[i]);
}

export function addrEqual(a: Addr, b: Addr): boolean {
  return a.bytes.length === b.bytes.length && a.bytes.every((byte, i) => byte === b.bytes[i]);
}

function inRange(addr: Addr, network: string, bits: number): boolean {
  const parsed = parsePrefix(`${network}/${bits}`);
  return 'ok' in parsed && prefixContains(parsed.ok, addr);
}

export function isUnspecified(addr: Addr): boolean {
  return addr.bytes.every((x) => x === 0);
}

export function isLoopback(addr: Addr): boolean {
  return is4(addr) ? addr.bytes[0] === 127 : inRange(addr, '::1', 128);
}

export function isMulticast(addr: Addr): boolean {
  return is4(addr) ? inRange(addr, '224.0.0.0', 4) : addr.bytes[0] === 0xff;
}

export function isLinkLocalMulticast(addr: Addr): boolean {
  // Go: IPv6 ff02::/16 regardless of the flag bits' neighbours (v6u16(0)&0xff0f == 0xff02).
  if (is4(addr)) return inRange(addr, '224.0.0.0', 24);
  return addr.bytes[0] === 0xff && ((addr.bytes[1] as number) & 0x0f) === 0x02;
}

export function isLinkLocalUnicast(addr: Addr): boolean {
  return is4(addr) ? inRange(addr, '169.254.0.0', 16) : inRange(addr, 'fe80::', 10);
}

/** As netip: private IPv4 and IPv6 ULA count as global unicast; broadcast does not. */
export function isGlobalUnicast(addr: Addr): boolean {
  if (is4(addr) && addr.bytes.every((x) => x === 255)) return false;
  return !isUnspecified(addr) && !isLoopback(addr) && !isMulticast(addr) && !isLinkLocalUnicast(addr);
}
