// The traffic metrics' source of truth: what the gateway's backend counts (`readTraffic`) for an egress IP
// while connections through it are open and after they closed. Connections come from a pod on the gateway
// and from one steered in from another node, so both paths are counted.
import type { NodeProxier, TrafficReading } from '@egress-proxier/core';
import { CaseFailure, type CaseContext } from './case-context.js';
import { pause } from './expect-source.js';

/** Bytes each connection sends, one at a time over SPREAD_MS, so that all of them are open at once. */
const BYTES = 40;
const SPREAD_MS = 3000;
const PODS = ['1-1', '2-1'] as const;
const PER_POD = 2;

export async function trafficCountedCase(context: CaseContext): Promise<void> {
  context.world.applyEgress(
    'payments',
    context.spec({ namespace: 'payments', ips: ['a'], to: 'db', gateway: 'node-1' }),
  );
  await context.converge();
  const gateway = context.world.proxiers.get(context.node(1).name);
  if (gateway?.readTraffic === undefined)
    throw new CaseFailure(['the backend does not count traffic (NodeProxier.readTraffic is missing)']);
  const read = () => (gateway as Required<Pick<NodeProxier, 'readTraffic'>>).readTraffic(context.signal);
  const egressIP = context.egressIP('a');
  const target = context.address('db');
  const before = trafficOf(await read(), egressIP);
  const opened = PODS.flatMap((from) =>
    Array.from({ length: PER_POD }, () =>
      context.lab.send(context.pod(from), target.ip, BYTES, target.port, SPREAD_MS + 20_000, SPREAD_MS).then(
        (seen) => (seen.source === egressIP ? undefined : `pod-${from}: the server saw ${seen.source}`),
        (error: unknown) => `pod-${from}: the connection failed: ${(error as Error).message}`,
      ),
    ),
  );
  const connections = opened.length;
  await pause(SPREAD_MS / 2);
  const during = await read();
  const results = await Promise.all(opened);
  const after = trafficOf(await read(), egressIP);
  const problems = results.filter((problem): problem is string => problem !== undefined);
  const ports = during.portUse
    .filter((use) => use.egressIP === egressIP && use.protocol === 'tcp' && use.remotePort === target.port)
    .filter((use) => use.remoteAddress === target.ip)
    .reduce((sum, use) => sum + use.ports, 0);
  if (ports < connections)
    problems.push(
      `${ports} SNAT ports in use to ${target.label}:${target.port} while ${connections} were open`,
    );
  if (!(during.portCapacity > 0)) problems.push(`port capacity ${during.portCapacity}`);
  const counted = after.connections - before.connections;
  const bytes = after.bytes - before.bytes;
  if (counted < connections)
    problems.push(`${counted} connections counted for ${egressIP}, not ${connections}`);
  // Every connection carried BYTES of payload in its own packets, on top of the handshake's.
  if (bytes < connections * BYTES)
    problems.push(`${bytes} bytes counted for ${egressIP}, under ${connections * BYTES}`);
  if (problems.length > 0) throw new CaseFailure(problems);
  context.details.push(
    `${connections} connections (local and steered): ${counted} counted, ${bytes} bytes, ${ports} ports in use while open`,
  );
}

function trafficOf(reading: TrafficReading, egressIP: string) {
  const entry = reading.traffic.find((traffic) => traffic.egressIP === egressIP);
  if (entry === undefined)
    throw new CaseFailure([`the reading has no entry for the hosted egress IP ${egressIP}`]);
  return entry;
}
