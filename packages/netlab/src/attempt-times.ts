// A probe agent stamps its attempts with its own clock. In a namespace on this host that is the host's clock; in
// a qemu guest it is the guest's, set to the host's at boot and free to wander afterwards (a CI run once saw it
// 10 s behind, and judged every attempt against the wrong phase of a case). The host knows for certain that an
// attempt started after it sent the request and ended before it read the answer, so the agent's stamps are
// kept only when they fit inside that interval; otherwise the interval itself stands in for them.

export interface Stamped {
  startedAt: number;
  endedAt: number;
}

/** `attempt` with host-comparable times, given when the host sent its request and read the answer. */
export function onHostClock<T extends Stamped>(attempt: T, sentAt: number, readAt: number): T {
  const fits =
    sentAt <= attempt.startedAt && attempt.startedAt <= attempt.endedAt && attempt.endedAt <= readAt;
  return fits ? attempt : { ...attempt, startedAt: sentAt, endedAt: readAt };
}
