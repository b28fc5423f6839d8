// The Kubernetes CEL IP library (k8s.io/apiserver/pkg/cel/library/ip.go): isIP, ip(), ip.isCanonical,
// string(ip), family and the classification methods, with the same refusals (zones, IPv4-mapped IPv6).
import { CelScalar, celFunc, celMethod, type CelFunc } from '@bufbuild/cel';
import type { ReflectMessage } from '@bufbuild/protobuf/reflect';
import * as netip from '../net/netip.js';
import { addrOf, IP_TYPE, ipValue } from './net-types.js';

const { STRING, BOOL, INT } = CelScalar;

/** ip.go's parseIPAddr: netip.ParseAddr without zones or IPv4-mapped IPv6 addresses. */
export function parseIPAddr(raw: string): netip.Parsed<netip.Addr> {
  const parsed = netip.parseAddr(raw);
  if ('error' in parsed)
    return {
      error: `IP Address ${JSON.stringify(raw)} parse error during conversion from string: ${parsed.error}`,
    };
  if (parsed.ok.zone !== '')
    return { error: `IP address ${JSON.stringify(raw)} with zone value is not allowed` };
  if (netip.is4In6(parsed.ok))
    return { error: `IPv4-mapped IPv6 address ${JSON.stringify(raw)} is not allowed` };
  return { ok: { bytes: parsed.ok.bytes } };
}

function mustParse(raw: string): netip.Addr {
  const parsed = parseIPAddr(raw);
  if ('error' in parsed) throw new Error(parsed.error);
  return parsed.ok;
}

function classifier(name: string, test: (addr: netip.Addr) => boolean): CelFunc {
  return celMethod(name, IP_TYPE, [], BOOL, function (this: ReflectMessage) {
    return test(addrOf(this));
  });
}

export const ipLibrary: CelFunc[] = [
  celFunc('ip', [STRING], IP_TYPE, (raw) => ipValue(mustParse(raw))),
  celFunc('isIP', [STRING], BOOL, (raw) => 'ok' in parseIPAddr(raw)),
  // Addr.String() is the canonical form, so comparing it with the input tells whether the input was.
  celFunc('ip.isCanonical', [STRING], BOOL, (raw) => netip.formatAddr(mustParse(raw)) === raw),
  celFunc('string', [IP_TYPE], STRING, (ip) => netip.formatAddr(addrOf(ip))),
  celMethod('family', IP_TYPE, [], INT, function (this: ReflectMessage) {
    return netip.is4(addrOf(this)) ? 4n : 6n;
  }),
  classifier('isUnspecified', netip.isUnspecified),
  classifier('isLoopback', netip.isLoopback),
  classifier('isLinkLocalMulticast', netip.isLinkLocalMulticast),
  classifier('isLinkLocalUnicast', netip.isLinkLocalUnicast),
  classifier('isGlobalUnicast', netip.isGlobalUnicast),
];
