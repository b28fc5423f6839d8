// The files a machine leaves on the host: its private directory under the temp dir (sockets, virtiofsd's
// mount point) and its console log under the build dir, and their housekeeping.
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const RUN_DIR_PREFIX = 'egp-guest-';
const LOGS_KEPT = 20;

export async function consoleTail(path: string, lines = 40): Promise<string> {
  try {
    return (await readFile(path, 'utf8')).trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** Keeps the newest console logs only: every boot writes one. */
export async function pruneLogs(dir: string): Promise<void> {
  const entries = await Promise.all(
    (await readdir(dir)).map(async (entry) => {
      const path = join(dir, entry);
      // Another test process may prune the same file meanwhile.
      const mtime = await stat(path).then(
        (info) => info.mtimeMs,
        () => 0,
      );
      return { path, mtime };
    }),
  );
  const old = entries.sort((a, b) => b.mtime - a.mtime).slice(LOGS_KEPT);
  await Promise.all(old.map(({ path }) => rm(path, { force: true })));
}

/**
 * Private directories of test processes that were SIGKILLed (their machines died with them, by the parent
 * death signal, but nothing removed the directory). Only directories named with a PID that is gone.
 */
export async function removeDeadRunDirs(): Promise<void> {
  for (const entry of await readdir(tmpdir())) {
    const pid = new RegExp(`^${RUN_DIR_PREFIX}(\\d+)-`).exec(entry)?.[1];
    if (pid !== undefined && !alive(Number(pid)))
      await rm(join(tmpdir(), entry), { recursive: true, force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
