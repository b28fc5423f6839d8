// The packet `trace` is asked about, parsed from `--from NS/POD` and `--to IP[:PORT]`, and the errors that
// stop a trace. Each error kind has its own exit code, so scripts can tell a typo from a missing pod.
import { canonicalIP } from '../net/ip.js';

export interface TraceRequest {
  pod: { namespace: string; name: string };
  /** Canonical address text. */
  destination: string;
  port: number | null;
}

export type TraceErrorKind =
  /** `--from` or `--to` is not what it must be. */
  | 'badArgument'
  /** The pod is unknown or cannot send to this destination (no node, no address of its family, finished). */
  | 'untraceablePod';

/** Exit codes of `egress-proxier trace` (1 is any other failure: unreadable files, an unreachable cluster). */
export const TRACE_EXIT_CODES: Readonly<Record<TraceErrorKind, number>> = {
  badArgument: 2,
  untraceablePod: 3,
};

export class TraceError extends Error {
  override name = 'TraceError';

  constructor(
    readonly kind: TraceErrorKind,
    message: string,
  ) {
    super(message);
  }
}

export function parseTraceRequest(from: string, to: string): TraceRequest {
  return { pod: parsePodRef(from), ...parseDestination(to) };
}

/** `NAMESPACE/NAME`, as `kubectl` prints pods with `-A`. */
export function parsePodRef(text: string): { namespace: string; name: string } {
  const parts = text.split('/');
  if (parts.length !== 2 || parts[0] === '' || parts[1] === '')
    throw new TraceError(
      'badArgument',
      `--from ${JSON.stringify(text)}: expected NAMESPACE/POD, e.g. payments/api-0`,
    );
  return { namespace: parts[0] as string, name: parts[1] as string };
}

/**
 * `203.0.113.5`, `203.0.113.5:443`, `2001:db8::5` or `[2001:db8::5]:443`. A bare IPv6 address takes no port
 * (`2001:db8::5:443` is itself an address), as in URLs.
 */
export function parseDestination(text: string): { destination: string; port: number | null } {
  const bracketed = /^\[([^\]]*)\](?::(.*))?$/.exec(text);
  let address: string;
  let portText: string | undefined;
  if (bracketed) {
    address = bracketed[1] as string;
    portText = bracketed[2];
  } else if (text.split(':').length === 2) {
    [address, portText] = text.split(':') as [string, string];
  } else {
    address = text;
  }
  const destination = canonicalIP(address);
  if (destination === null)
    throw new TraceError(
      'badArgument',
      `--to ${JSON.stringify(text)}: ${JSON.stringify(address)} is not an IP address`,
    );
  if (bracketed && !destination.includes(':'))
    throw new TraceError('badArgument', `--to ${JSON.stringify(text)}: brackets are for IPv6 addresses`);
  return { destination, port: portText === undefined ? null : parsePort(text, portText) };
}

function parsePort(text: string, portText: string): number {
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
  if (!(port >= 1 && port <= 65535))
    throw new TraceError(
      'badArgument',
      `--to ${JSON.stringify(text)}: port must be a number from 1 to 65535`,
    );
  return port;
}
