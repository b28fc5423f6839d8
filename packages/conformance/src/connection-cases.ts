// Cases about connections that outlive a change of the agent rather than new connections: a restarted proxier
// (a new instance adopting the kernel) must not break a connection open across the restart, neither one
// SNATed on the gateway itself nor one steered there from another node.
import { CaseFailure, type CaseContext } from './case-context.js';
import { pause } from './expect-source.js';

/** Bytes each connection sends, one at a time over SPREAD_MS: the restart falls in the middle. */
const BYTES = 40;
const SPREAD_MS = 2000;

export async function restartKeepsConnectionsCase(context: CaseContext): Promise<void> {
  context.world.applyEgress(
    'payments',
    context.spec({ namespace: 'payments', ips: ['a'], to: 'db', gateway: 'node-1' }),
  );
  await context.converge();
  const target = context.address('db');
  const expected = context.egressIP('a');
  const connections = (['1-1', '2-1'] as const).map((from) => ({
    from,
    // Generous timeout: on a loaded machine the restart's sync may take seconds; the bytes still must all arrive.
    result: context.lab
      .send(context.pod(from), target.ip, BYTES, target.port, SPREAD_MS + 20_000, SPREAD_MS)
      .then(
        (seen) => seen,
        (error: unknown) => error as Error,
      ),
  }));
  await pause(SPREAD_MS / 4);
  for (const node of context.lab.nodes) {
    const fresh = await context.world.createProxier(node);
    await fresh.sync(context.world.table(node), context.signal);
    context.world.proxiers.set(node.name, fresh);
  }
  const problems: string[] = [];
  for (const { from, result } of connections) {
    const seen = await result;
    if (seen instanceof Error) problems.push(`pod-${from}: the connection failed: ${seen.message}`);
    else if (seen.source !== expected || seen.bytes !== BYTES)
      problems.push(
        `pod-${from}: server saw ${seen.source} and ${seen.bytes} bytes, not ${expected} and ${BYTES}`,
      );
  }
  if (problems.length > 0) throw new CaseFailure(problems);
  context.details.push(
    `2 connections (local and steered) open across the restart of every proxier, ${BYTES} bytes each`,
  );
}
