// The kernel lifetime of hosted egress addresses: the fence that holds when the agent is dead. An address
// renewed at `now` with a lifetime of L seconds is gone by `now + L + 1 s` at the latest (the kernel checks
// lifetimes on whole-second boundaries). Peers take over an IP no earlier than the holder's lease expiry
// (the write at `basis`, observed a little later) plus the hand-over margin, so the lifetime is the largest L
// with `now + L + 1 s <= basis + lease duration + hand-over margin`. For a renewal right after the lease
// write it is 2 s with the defaults (3 s lease, 0.5 s margin).

/** Whole seconds a lifetime renewed at `nowMs` may last, given the lease written at `basisMs`; 0: none. */
export function addressLifetimeSeconds(input: {
  basisMs: number;
  nowMs: number;
  leaseDurationMs: number;
  handoverMarginMs: number;
}): number {
  const budgetMs = input.basisMs + input.leaseDurationMs + input.handoverMarginMs - KERNEL_EXPIRY_SLACK_MS;
  return Math.max(0, Math.floor((budgetMs - input.nowMs) / 1000));
}

/** How late after its lifetime the kernel may drop an address (expiry runs on whole seconds). */
export const KERNEL_EXPIRY_SLACK_MS = 1_000;

/** Where lifetimes are renewed: the node's datapath, serialised with its syncs (`agent/NodeDatapath`). */
export interface LifetimeRenewal {
  /** Renews with the lifetime `seconds()` gives when the renewal runs; resolves with what was granted. */
  renewLifetimes(seconds: () => number, signal: AbortSignal): Promise<number>;
}
