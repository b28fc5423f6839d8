// Waiting for a machine's parts during boot, failing fast when the process that should answer has exited.
import { existsSync } from 'node:fs';
import type { GuestChannel, ReadyEvent } from './channel.js';
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
