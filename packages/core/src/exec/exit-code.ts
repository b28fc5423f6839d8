// One rule for "did this command fail?", shared by the real Exec and the test fakes so that a backend sees
// the same ExecError from both.
import { ExecError, type ExecRequest, type ExecResult } from './exec.js';

/** Throws an ExecError when `result` exited non-zero and the request did not allow that code. */
export function assertAllowedExitCode(request: ExecRequest, result: ExecResult): void {
  if (result.exitCode === 0 || request.allowedExitCodes?.includes(result.exitCode)) return;
  throw new ExecError(request, result, exitFailureReason(result));
}

/** `exit code 2: <last lines of stderr>`; stderr is where these tools say what went wrong. */
export function exitFailureReason(result: ExecResult): string {
  const detail = summarizeStderr(result.stderr);
  return detail === '' ? `exit code ${result.exitCode}` : `exit code ${result.exitCode}: ${detail}`;
}

const MAX_STDERR_CHARS = 2000;

function summarizeStderr(stderr: string): string {
  const trimmed = stderr.trim();
  // Keep the tail: restore tools print the failing line number last.
  return trimmed.length <= MAX_STDERR_CHARS ? trimmed : `…${trimmed.slice(-MAX_STDERR_CHARS)}`;
}
