// A guest run's outcome in the two shapes the tests' callers expect: netlab's RunResult (the lab, through
// LabHost) and the core's Exec answer (a proxier under test), each judged as its host-side original judges it.
import type { ExecRequest } from '@egress-proxier/core/plugin';
import type { RunResult } from '@egress-proxier/netlab';
import type { RunOutcome } from './protocol.js';

/**
 * As netlab's run (execFile): a process that did not exit normally has exit code -1 and the reason appended
 * to its stderr.
 */
export function toRunResult(outcome: RunOutcome, command: string, timeoutMs: number): RunResult {
  const reason = abnormalEnd(outcome, command, timeoutMs);
  return {
    exitCode: outcome.exitCode ?? -1,
    stdout: outcome.stdout,
    stderr: reason === null ? outcome.stderr : `${outcome.stderr}${reason}`,
  };
}

function abnormalEnd(outcome: RunOutcome, command: string, timeoutMs: number): string | null {
  if (outcome.error === 'maxBuffer') return 'stdout maxBuffer length exceeded';
  if (outcome.error !== undefined) return `spawn ${command} ${outcome.error}`;
  if (outcome.timedOut) return `timed out after ${timeoutMs} ms; killed with ${outcome.signal ?? 'SIGTERM'}`;
  if (outcome.signal !== null) return `killed by ${outcome.signal}`;
  return null;
}

/**
 * As the core's ExecaExec: why the process did not run to a normal exit, or null when it did (its exit code
 * is then judged by assertAllowedExitCode).
 */
export function execFailureReason(
  outcome: RunOutcome,
  request: ExecRequest,
  timeoutMs: number,
  aborted: boolean,
): string | null {
  if (outcome.error === 'ENOENT') return `command not found: ${request.command} (is the package installed?)`;
  if (outcome.error === 'EACCES') return `permission denied running ${request.command}`;
  if (outcome.timedOut) return `timed out after ${timeoutMs} ms; killed with ${outcome.signal ?? 'SIGTERM'}`;
  if (aborted) return 'aborted';
  if (outcome.error === 'maxBuffer') return 'output exceeded the maximum buffer size';
  if (outcome.signal !== null) return `killed by ${outcome.signal}`;
  if (outcome.error !== undefined) return `could not run: ${outcome.error}`;
  return null;
}
