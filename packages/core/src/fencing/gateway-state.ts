// What a gateway-eligible agent publishes about itself, in an annotation of its heartbeat Lease, so that the
// others can order hand-overs without a leader (docs/failover.md, "Hand-over protocol"):
//
// - `claimed`: egress IPs this node holds or is about to hold. An IP is added *before* the node programs it
//   and removed only *after* a sync has withdrawn it, so the published claims always cover what the kernel
//   may hold. A node hosts a claimed IP only once it has seen its own claim come back through the lease
//   watch with no other live claim on the IP: the watch delivers writes in one order to every agent, so of
//   two nodes claiming at once, the later one sees the earlier claim and waits.
// - `ready`: egress IPs whose address and SNAT the last successful sync programmed. Source nodes steer an
//   IP's traffic to its gateway only while the gateway lists the IP as ready; until then they hold it
//   (drop under FailClosed, node IP under FailOpen).
//
// The annotation rides on every heartbeat renewal (and on an extra one when it changes), so it costs no
// write of its own in a steady state.

export const GATEWAY_STATE_ANNOTATION = 'egress.proxier.io/gateway-state';

/** The annotation's format version; a node whose state cannot be read is treated as claiming everything. */
const FORMAT_VERSION = 1;

export interface PublishedGatewayState {
  /** Sorted egress IPs. */
  readonly claimed: readonly string[];
  /** Sorted egress IPs, a subset of `claimed`. */
  readonly ready: readonly string[];
  /**
   * The annotation was present but unreadable (a newer format, a hand edit): while the node is live nobody
   * may claim any IP it might hold, and nobody steers to it.
   */
  readonly unreadable?: true;
}

export const NO_GATEWAY_STATE: PublishedGatewayState = { claimed: [], ready: [] };

export function gatewayState(claimed: Iterable<string>, ready: Iterable<string>): PublishedGatewayState {
  const claims = [...new Set(claimed)].sort();
  const claimSet = new Set(claims);
  return { claimed: claims, ready: [...new Set(ready)].filter((ip) => claimSet.has(ip)).sort() };
}

export function formatGatewayState(state: PublishedGatewayState): string {
  return JSON.stringify({ v: FORMAT_VERSION, claimed: state.claimed, ready: state.ready });
}

/** Reads the annotation; absent means "claims nothing". */
export function parseGatewayState(text: string | undefined): PublishedGatewayState {
  if (text === undefined || text === '') return NO_GATEWAY_STATE;
  try {
    const value = JSON.parse(text) as { v?: unknown; claimed?: unknown; ready?: unknown };
    if (value.v === FORMAT_VERSION && isStringArray(value.claimed) && isStringArray(value.ready))
      return gatewayState(value.claimed, value.ready);
  } catch {
    // fall through: unreadable
  }
  return { claimed: [], ready: [], unreadable: true };
}

export function claims(state: PublishedGatewayState, egressIP: string): boolean {
  return state.unreadable === true || state.claimed.includes(egressIP);
}

export function sameGatewayState(a: PublishedGatewayState, b: PublishedGatewayState): boolean {
  return formatGatewayState(a) === formatGatewayState(b) && a.unreadable === b.unreadable;
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}
