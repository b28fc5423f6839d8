// The production Exec: execa 9 with argument arrays (never a shell), a timeout that kills the process, stdin
// input, cancellation, and structured logs. Callers only ever see ExecResult or ExecError.
import { execa, type Result } from 'execa';
import type { Logger } from 'pino';
import { DEFAULT_EXEC_TIMEOUT_MS, ExecError, type Exec, type ExecRequest, type ExecResult } from './exec.js';
import { assertAllowedExitCode } from './exit-code.js';

/** After a timeout or abort sends SIGTERM, a process that ignores it gets SIGKILL this much later. */
const FORCE_KILL_AFTER_MS = 2_000;

export class ExecaExec implements Exec {
  constructor(private readonly logger: Logger) {}

  async run(request: ExecRequest): Promise<ExecResult> {
    const timeoutMs = request.timeoutMs ?? DEFAULT_EXEC_TIMEOUT_MS;
    const started = performance.now();
    const raw = await execa(request.command, [...request.args], {
      // Without input, stdin is closed so a tool that reads it (e.g. `cat`) sees EOF instead of hanging.
      ...(request.input === undefined ? { stdin: 'ignore' as const } : { input: request.input }),
      timeout: timeoutMs,
      ...(request.signal === undefined ? {} : { cancelSignal: request.signal }),
      forceKillAfterDelay: FORCE_KILL_AFTER_MS,
      reject: false,
      // Output goes to parsers (iptables-save, ipset list): keep it byte for byte.
      stripFinalNewline: false,
      // Messages in English and stable number formats, whatever the host's locale.
      env: { LC_ALL: 'C' },
    });
    const durationMs = Math.round(performance.now() - started);
    const result: ExecResult = {
      exitCode: raw.exitCode ?? -1,
      stdout: typeof raw.stdout === 'string' ? raw.stdout : '',
      stderr: typeof raw.stderr === 'string' ? raw.stderr : '',
    };
    const logFields = {
      command: request.command,
      args: request.args,
      durationMs,
      exitCode: raw.exitCode,
      inputBytes: request.input === undefined ? undefined : Buffer.byteLength(request.input),
    };
    this.logger.debug(logFields, 'exec');
    try {
      const reason = spawnFailureReason(raw, request, timeoutMs);
      if (reason !== null)
        throw new ExecError(request, raw.exitCode === undefined ? undefined : result, reason);
      assertAllowedExitCode(request, result);
    } catch (error) {
      this.logger.warn({ ...logFields, stderr: result.stderr, err: error }, 'exec failed');
      throw error;
    }
    return result;
  }
}

/** Why the process did not run to a normal exit, or null when it did (its exit code is judged separately). */
function spawnFailureReason(raw: Result, request: ExecRequest, timeoutMs: number): string | null {
  if (!raw.failed) return null;
  if (raw.code === 'ENOENT') return `command not found: ${request.command} (is the package installed?)`;
  if (raw.code === 'EACCES') return `permission denied running ${request.command}`;
  if (raw.timedOut) return `timed out after ${timeoutMs} ms; killed with ${raw.signal ?? 'SIGTERM'}`;
  if (raw.isCanceled) return 'aborted';
  if (raw.isMaxBuffer) return 'output exceeded the maximum buffer size';
  if (raw.signal !== undefined) return `killed by ${raw.signal}`;
  if (raw.exitCode !== undefined) return null;
  return `could not run: ${raw.originalMessage ?? raw.shortMessage ?? 'unknown error'}`;
}
