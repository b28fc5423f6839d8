// Map changes as `bpftool batch` lines, run as one `bpftool -j batch file F` (one exec however many entries).
//
// bpftool runs the lines in order and stops at the first that fails: the lines before it are applied, the
// failing one and those after it are not, and the maps are left between their old and desired content (each
// entry is either old or new; an entry never holds a mix). Nothing is rolled back, on purpose: every sync
// re-reads the maps and diffs against them, so the next sync sends exactly what is still missing. A line only
// fails when the maps changed under us (a delete of a key someone else removed) or are full.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExecError } from '@egress-proxier/core';
import type { CommandRunner } from '@egress-proxier/node-datapath';

export type BatchLine = string;

export function updateLine(path: string, key: string, value: string): BatchLine {
  return `map update pinned ${pinPath(path)} key hex ${spaced(key)} value hex ${spaced(value)}`;
}

export function deleteLine(path: string, key: string): BatchLine {
  return `map delete pinned ${pinPath(path)} key hex ${spaced(key)}`;
}

export class BatchError extends Error {
  override name = 'BatchError';
  constructor(
    message: string,
    /** The 1-based line bpftool stopped at (the lines before it were applied), when its output says. */
    readonly failedLine?: number,
    /** bpftool's error for that line ("delete failed: No such file or directory"). */
    readonly reason?: string,
  ) {
    super(message);
  }
}

/** Runs the lines in one exec (none for no lines); returns the execs made. */
export async function runBatch(runner: CommandRunner, lines: readonly BatchLine[]): Promise<number> {
  if (lines.length === 0) return 0;
  const dir = await mkdtemp(join(tmpdir(), 'egp-batch-'));
  const file = join(dir, 'maps.batch');
  try {
    await writeFile(file, lines.join('\n') + '\n');
    // -j: on failure bpftool prints the commands it ran, the failing one last with its error.
    await runner.run({ command: 'bpftool', args: ['-j', 'batch', 'file', file] }).catch((error: unknown) => {
      throw batchFailure(error, lines);
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return 1;
}

function batchFailure(error: unknown, lines: readonly BatchLine[]): unknown {
  if (!(error instanceof ExecError) || error.result === undefined) return error;
  let ran: { output?: { error?: unknown } | null }[];
  try {
    ran = JSON.parse(error.result.stdout) as typeof ran;
  } catch {
    return error;
  }
  if (!Array.isArray(ran) || ran.length === 0) return error;
  const failed = ran.length;
  const reason = ran[failed - 1]?.output?.error;
  const why = typeof reason === 'string' ? reason : undefined;
  return new BatchError(
    `bpftool batch stopped at line ${failed} of ${lines.length} (${String(reason ?? error.result.stderr.trim())}): ` +
      `${lines[failed - 1] ?? ''}; the ${failed - 1} lines before it were applied, the rest were not ` +
      '(the next sync re-reads the maps and sends what is missing)',
    failed,
    why,
  );
}

/** bpftool splits batch lines on blanks and treats quotes and `#` specially: our pins contain none. */
function pinPath(path: string): string {
  if (!/^\/[\w./-]+$/.test(path))
    throw new Error(`pin path ${JSON.stringify(path)} cannot go in a batch line`);
  return path;
}

function spaced(hexBytes: string): string {
  return hexBytes.replace(/(..)(?!$)/g, '$1 ');
}
