// Long-lived connections held open through a disruption (issue 15: established connections survive a move).
// Each connection trickles a byte at a time over a window that spans the disruption and then half-closes; the
// server answers with the source address it saw and the bytes it received. A connection was kept when every
// byte reached one server socket from the egress IP: had its address or port changed on the way, the server
// would have seen the rest as a stranger's packets (and reset them), not as more bytes of the same socket.
import type { Lab, LabPod, ProbeAttempt } from '@egress-proxier/netlab';

export interface HeldGroup {
  /** What the group's pod is to the disruption, for the report: "source node", "new holder node-3". */
  role: string;
  pod: LabPod;
  connections: number;
}

export interface HeldOutcome {
  role: string;
  pod: string;
  connections: number;
  kept: number;
  /** How the others ended: "ECONNRESET ×3", "answered 198.51.100.4 ×1". */
  lost: string;
}

export interface HeldWindow {
  /** Resolves when every connection has ended (the window, plus retransmission time at most). */
  readonly outcomes: Promise<HeldOutcome[]>;
}

/** Bytes per connection: one every `spreadMs / BYTES`, so a 10 s window sends one every 200 ms. */
const BYTES = 50;
/** How long past its window a connection may take to end (TCP's retransmission backoff after an outage). */
const GRACE_MS = 30_000;

/** Opens the groups' connections now, to `external` (whose server port is the lab's), for `spreadMs`. */
export function holdConnections(
  lab: Lab,
  groups: readonly HeldGroup[],
  external: string,
  egressIP: string,
  spreadMs: number,
): HeldWindow {
  const port = lab.external(external).port;
  const outcomes = Promise.all(
    groups.map(async (group) => {
      const prober = lab.prober(group.pod);
      try {
        const attempts = await Promise.all(
          Array.from({ length: group.connections }, () =>
            prober.send(external, port, { bytes: BYTES, spreadMs, timeoutMs: spreadMs + GRACE_MS }),
          ),
        );
        return outcomeOf(group, attempts, egressIP);
      } finally {
        prober.stop();
      }
    }),
  );
  outcomes.catch(() => undefined);
  return { outcomes };
}

export function outcomeOf(
  group: HeldGroup,
  attempts: readonly ProbeAttempt[],
  egressIP: string,
): HeldOutcome {
  const lost = new Map<string, number>();
  let kept = 0;
  for (const attempt of attempts) {
    if (attempt.source === egressIP && attempt.bytes === BYTES) kept++;
    else {
      const how =
        attempt.source === undefined
          ? (attempt.error ?? 'failed')
          : `answered ${attempt.source} after ${attempt.bytes ?? 0} of ${BYTES} bytes`;
      lost.set(how, (lost.get(how) ?? 0) + 1);
    }
  }
  return {
    role: group.role,
    pod: group.pod.name,
    connections: attempts.length,
    kept,
    lost: [...lost].map(([how, count]) => `${how} ×${count}`).join(', '),
  };
}

/** "source node 34/34, old holder node-2 0/33 (ECONNRESET ×33), new holder node-3 33/33". */
export function heldLine(outcomes: readonly HeldOutcome[]): string {
  return outcomes
    .map((o) => `${o.role} ${o.kept}/${o.connections}${o.lost === '' ? '' : ` (${o.lost})`}`)
    .join(', ');
}
