// Cases about connections that outlive a change rather than new connections: a restarted proxier (a new
// instance adopting the kernel) must not break a connection open across the restart, neither one SNATed on the
// gateway itself nor one steered there from another node; and an egress IP that moves to another gateway takes
// its established connections with it, from every kind of node, with the same address and port.
import { CaseFailure, type CaseContext } from './case-context.js';
import { pause } from './expect-source.js';

/** Bytes each connection sends, one at a time over SPREAD_MS: the restart falls in the middle. */
const BYTES = 40;
const SPREAD_MS = 2000;
/** The move's hand-over takes several syncs of every proxier: a longer window, the move in its first quarter. */
const MOVE_SPREAD_MS = 6000;
/** Connections per pod in the move case. */
const PER_POD = 3;

/** One connection trickling BYTES over `spreadMs`; resolves with what the server saw, or the error. */
function trickle(context: CaseContext, from: string, spreadMs: number) {
  const target = context.address('db');
  // Generous timeout: on a loaded machine the syncs may take seconds; the bytes still must all arrive.
  return context.lab.send(context.pod(from), target.ip, BYTES, target.port, spreadMs + 20_000, spreadMs).then(
    (seen) => seen,
    (error: unknown) => error as Error,
  );
}

type Trickled = { from: string; result: ReturnType<typeof trickle> };

/** Fails the case unless every connection delivered every byte from `expected`. */
async function expectAllKept(connections: readonly Trickled[], expected: string): Promise<void> {
  const problems: string[] = [];
  for (const { from, result } of connections) {
    const problem = problemOf(from, await result, expected);
    if (problem !== undefined) problems.push(problem);
  }
  if (problems.length > 0) throw new CaseFailure(problems);
}

/** What is wrong with a trickled connection's outcome: it failed, or the server saw another source or fewer bytes. */
function problemOf(from: string, seen: Error | { source: string; bytes: number }, expected: string) {
  if (seen instanceof Error) return `pod-${from}: the connection failed: ${seen.message}`;
  if (seen.source !== expected || seen.bytes !== BYTES)
    return `pod-${from}: server saw ${seen.source} and ${seen.bytes} bytes, not ${expected} and ${BYTES}`;
  return undefined;
}

export async function restartKeepsConnectionsCase(context: CaseContext): Promise<void> {
  context.world.applyEgress(
    'payments',
    context.spec({ namespace: 'payments', ips: ['a'], to: 'db', gateway: 'node-1' }),
  );
  await context.converge();
  const expected = context.egressIP('a');
  const connections = (['1-1', '2-1'] as const).map((from) => ({
    from,
    result: trickle(context, from, SPREAD_MS),
  }));
  await pause(SPREAD_MS / 4);
  for (const node of context.lab.nodes) {
    const fresh = await context.world.createProxier(node);
    await fresh.sync(context.world.table(node), context.signal);
    context.world.proxiers.set(node.name, fresh);
  }
  await expectAllKept(connections, expected);
  context.details.push(
    `2 connections (local and steered) open across the restart of every proxier, ${BYTES} bytes each`,
  );
}

/**
 * The egress IP moves from node-1 to node-2 (a planned move, through the hand-over) while connections trickle
 * from a source node (3-1), the old gateway's node (1-1) and the new gateway's node (2-1): every byte arrives on
 * the same server socket, from the egress IP. Each pod connects from its own band of ephemeral ports, so no two
 * pods' connections share a port toward the server: what this case measures is the carry-over, not the odds of
 * that clash (docs/failover.md says what happens then).
 */
export async function moveKeepsConnectionsCase(context: CaseContext): Promise<void> {
  const spec = (gateway: string) => context.spec({ namespace: 'payments', ips: ['a'], to: 'db', gateway });
  context.world.applyEgress('payments', spec('node-1'));
  await context.converge();
  const expected = context.egressIP('a');
  const pods = ['3-1', '1-1', '2-1'] as const;
  await Promise.all(
    pods.map((from, index) =>
      context.lab.exec(context.pod(from).namespace, 'sysctl', [
        '-qw',
        `net.ipv4.ip_local_port_range=${20_000 + index * 4_000} ${23_999 + index * 4_000}`,
      ]),
    ),
  );
  const connections = pods.flatMap((from) =>
    Array.from({ length: PER_POD }, () => ({ from, result: trickle(context, from, MOVE_SPREAD_MS) })),
  );
  await pause(MOVE_SPREAD_MS / 4);
  context.world.applyEgress('payments', spec('node-2'));
  await context.converge();
  await context.expectSources([['3-1', 'db', 'a']]);
  await expectAllKept(connections, expected);
  context.details.push(
    `${connections.length} connections (${PER_POD} each from a source node, the old and the new gateway's node) open while ${expected} moved node-1 → node-2, ${BYTES} bytes each`,
  );
}
