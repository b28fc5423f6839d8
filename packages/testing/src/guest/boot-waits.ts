// Waiting for a machine's parts during boot, failing fast when the process that should answer has exited.
import { existsSync } from 'node:fs';
import { GuestChannel, type ReadyEvent } from './channel.js';
import type { Exit, OwnedProcess } from './owned-process.js';

const SOCKET_WAIT_MS = 10_000;

export async function waitForSocket(path: string, owner: OwnedProcess): Promise<void> {
  const deadline = Date.now() + SOCKET_WAIT_MS;
  while (!existsSync(path)) {
    if (owner.hasExited) throw new Error(`${owner.name} exited before creating ${path}`);
    if (Date.now() > deadline)
      throw new Error(`${owner.name} did not create ${path} within ${SOCKET_WAIT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** How long a refused connection waits for its process to be seen exiting (its socket outlives it). */
const EXIT_GRACE_MS = 2_000;

/**
 * Connects to the agent's socket. qemu creates it before it checks its other arguments, so a qemu that fails
 * (a missing kernel) may leave it behind: a refused connection then reports qemu's exit, not the refusal.
 */
export async function connectOrExit(path: string, qemu: OwnedProcess): Promise<GuestChannel> {
  try {
    return await GuestChannel.connect(path);
  } catch (error) {
    let timer: NodeJS.Timeout | undefined;
    const exit = await Promise.race([
      qemu.exited,
      new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), EXIT_GRACE_MS))),
    ]);
    clearTimeout(timer);
    if (exit !== undefined)
      throw new Error(`qemu ${describeExit(exit)} before the agent was ready`, { cause: error });
    throw error;
  }
}

export async function readyOrExit(
  channel: GuestChannel,
  qemu: OwnedProcess,
  timeoutMs: number,
): Promise<ReadyEvent> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      channel.ready,
      qemu.exited.then((exit) => {
        throw new Error(`qemu ${describeExit(exit)} before the agent was ready`);
      }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`the agent was not ready within ${timeoutMs} ms`)),
          timeoutMs,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export function describeExit(exit: Exit): string {
  return exit.signal === null ? `exited with code ${exit.code}` : `was killed by ${exit.signal}`;
}
