// A CPU hog: one busy-looping process per core (os.availableParallelism()), at the agents' own priority, so
// agents, kubectl and the kernel tools they run compete for CPU as on a loaded node. The processes run no
// network code and live in this process's namespace. They are stopped by PID: by stop(), and, should the
// runner die first, by an exit hook of this process.
import { spawn, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';

export interface CpuHog {
  readonly pids: readonly number[];
  /** Kills every hog process (SIGKILL, by PID) and waits until each has exited. Safe to call twice. */
  stop(): Promise<void>;
}

const BUSY_LOOP = 'for (;;) {}';
const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function killByPid(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(child.pid, 'SIGKILL');
  } catch {
    // Already gone between the check and the kill.
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // 'exit' handlers must be synchronous: process.kill is.
  process.on('exit', () => {
    for (const child of running) killByPid(child);
  });
}

/** Starts `processes` (default: one per core) busy processes; resolves once all of them are running. */
export async function startCpuHog(processes = availableParallelism()): Promise<CpuHog> {
  installExitHook();
  const children: ChildProcess[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(
      children.map(async (child) => {
        if (child.exitCode === null && child.signalCode === null) {
          const exited = new Promise((resolve) => child.once('exit', resolve));
          killByPid(child);
          await exited;
        }
        running.delete(child);
      }),
    );
  };
  try {
    for (let index = 0; index < processes; index++) {
      const child = spawn(process.execPath, ['-e', BUSY_LOOP], { stdio: 'ignore' });
      children.push(child);
      running.add(child);
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', resolve);
        child.once('error', reject);
      });
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    pids: children.map((child) => child.pid ?? -1),
    stop,
  };
}

/** Runs `body` with a CPU hog running when `hogged`, and stops the hog afterwards, also when `body` throws. */
export async function withCpuHog<T>(
  hogged: boolean,
  body: (hog: CpuHog | undefined) => Promise<T>,
): Promise<T> {
  if (!hogged) return body(undefined);
  const hog = await startCpuHog();
  try {
    return await body(hog);
  } finally {
    await hog.stop();
  }
}
