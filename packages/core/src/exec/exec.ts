// The one seam through which every kernel tool runs (iptables-restore, ipset, ip, arping, ipvsadm,
// bpftool, tc, nft). Argument arrays only: nothing is ever interpreted by a shell.

export interface ExecRequest {
  /** Program name or path, e.g. `iptables-restore`. */
  command: string;
  args: readonly string[];
  /** Written to the program's standard input, then closed. */
  input?: string;
  /** Milliseconds; the process is killed after it. */
  timeoutMs?: number;
  /** Non-zero exit codes that are an answer rather than a failure (e.g. `ipset test` returns 1). */
  allowedExitCodes?: readonly number[];
  signal?: AbortSignal;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface Exec {
  run(request: ExecRequest): Promise<ExecResult>;
}

/** A command that failed, with everything needed to understand why in one message. */
export class ExecError extends Error {
  constructor(
    readonly request: ExecRequest,
    readonly result: ExecResult | undefined,
    reason: string,
  ) {
    super(`${request.command} ${request.args.join(' ')}: ${reason}`);
    this.name = 'ExecError';
  }
}

export const DEFAULT_EXEC_TIMEOUT_MS = 30_000;
