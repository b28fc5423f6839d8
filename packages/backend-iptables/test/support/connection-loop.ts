// Runs scripts/demo/connection-loop.mjs in a pod: a new TCP connection every interval, one JSON line per attempt
// with its start, end and the source the server saw (or the error). The lab stops it on destroy as well.
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Lab, LabPod } from '@egress-proxier/netlab';

const SCRIPT = fileURLToPath(new URL('../../../../../scripts/demo/connection-loop.mjs', import.meta.url));

export interface Attempt {
  startedAt: number;
  endedAt: number;
  source?: string;
  error?: string;
}

export interface ConnectionLoop {
  /** Stops new attempts, waits for those in flight, returns all by start time. */
  stop(): Promise<Attempt[]>;
}

export async function startConnectionLoop(
  lab: Lab,
  pod: LabPod,
  ip: string,
  intervalMs: number,
  timeoutMs = 1000,
): Promise<ConnectionLoop> {
  const port = lab.external(ip).port;
  const child = lab.spawn(pod.namespace, process.execPath, [
    SCRIPT,
    ip,
    String(port),
    String(intervalMs),
    String(timeoutMs),
  ]);
  const attempts: Attempt[] = [];
  if (child.stdout === null || child.stderr === null) throw new Error('connection loop without pipes');
  createInterface({ input: child.stdout }).on('line', (line) => attempts.push(JSON.parse(line) as Attempt));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  let stderr = '';
  await new Promise<void>((resolve, reject) => {
    child.stderr?.on('data', (data: Buffer) => {
      stderr += data.toString();
      if (stderr.includes('looping')) resolve();
    });
    child.once('exit', (code) =>
      reject(new Error(`connection loop in ${pod.namespace} exited ${code}: ${stderr}`)),
    );
  });
  return {
    async stop() {
      child.kill('SIGTERM');
      await exited;
      return [...attempts].sort((a, b) => a.startedAt - b.startedAt);
    },
  };
}
