// The Kubernetes CEL CIDR library (k8s.io/apiserver/pkg/cel/library/cidr.go): isCIDR, cidr(), string(cidr),
// containsIP, containsCIDR (string or typed argument), ip(), masked() and prefixLength().
import { CelScalar, celFunc, celMethod, type CelFunc } from '@bufbuild/cel';
import type { ReflectMessage } from '@bufbuild/protobuf/reflect';
import * as netip from '../net/netip.js';
import { parseIPAddr } from './ip-library.js';
import { addrOf, CIDR_TYPE, cidrValue, IP_TYPE, ipValue, prefixOf } from './net-types.js';

const { STRING, BOOL, INT } = CelScalar;

/** cidr.go's parseCIDR: netip.ParsePrefix without IPv4-mapped IPv6 addresses (host bits may be set). */
function parseCIDR(raw: string): netip.Parsed<netip.Prefix> {
  const parsed = netip.parsePrefix(raw);
  if ('error' in parsed)
    return { error: `network address parse error during conversion from string: ${parsed.error}` };
  if (netip.is4In6(parsed.ok.addr))
    return { error: `IPv4-mapped IPv6 address ${JSON.stringify(raw)} is not allowed` };
  return parsed;
}

function mustParseCIDR(raw: string): netip.Prefix {
  const parsed = parseCIDR(raw);
  if ('error' in parsed)
    throw new Error(`network address parse error during conversion from string: ${parsed.error}`);
  return parsed.ok;
}

function mustParseIP(raw: string): netip.Addr {
  const parsed = parseIPAddr(raw);
  if ('error' in parsed) throw new Error(parsed.error);
  return parsed.ok;
}

/** cidrContainsCIDR: the other's address masked to this length equals this network, and it is as long. */
function containsCIDR(outer: netip.Prefix, inner: netip.Prefix): boolean {
  if (outer.addr.bytes.length !== inner.addr.bytes.length) return false;
  const network = netip.masked(outer);
  const innerAtOuterLength = netip.masked({ addr: inner.addr, bits: outer.bits });
  return netip.addrEqual(network.addr, innerAtOuterLength.addr) && outer.bits <= inner.bits;
}

export const cidrLibrary: CelFunc[] = [
  celFunc('cidr', [STRING], CIDR_TYPE, (raw) => cidrValue(mustParseCIDR(raw))),
  celFunc('isCIDR', [STRING], BOOL, (raw) => 'ok' in parseCIDR(raw)),
  celFunc('string', [CIDR_TYPE], STRING, (value) => netip.formatPrefix(prefixOf(value))),
  celMethod('containsIP', CIDR_TYPE, [STRING], BOOL, function (this: ReflectMessage, raw) {
    return netip.prefixContains(prefixOf(this), mustParseIP(raw));
  }),
  celMethod('containsIP', CIDR_TYPE, [IP_TYPE], BOOL, function (this: ReflectMessage, ip) {
    return netip.prefixContains(prefixOf(this), addrOf(ip));
  }),
  celMethod('containsCIDR', CIDR_TYPE, [STRING], BOOL, function (this: ReflectMessage, raw) {
    return containsCIDR(prefixOf(this), mustParseCIDR(raw));
  }),
  celMethod('containsCIDR', CIDR_TYPE, [CIDR_TYPE], BOOL, function (this: ReflectMessage, other) {
    return containsCIDR(prefixOf(this), prefixOf(other));
  }),
  celMethod('ip', CIDR_TYPE, [], IP_TYPE, function (this: ReflectMessage) {
    return ipValue(prefixOf(this).addr);
  }),
  celMethod('masked', CIDR_TYPE, [], CIDR_TYPE, function (this: ReflectMessage) {
    return cidrValue(netip.masked(prefixOf(this)));
  }),
  celMethod('prefixLength', CIDR_TYPE, [], INT, function (this: ReflectMessage) {
    return BigInt(prefixOf(this).bits);
  }),
];
