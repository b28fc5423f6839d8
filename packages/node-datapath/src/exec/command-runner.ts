// A thin layer over the core Exec seam: runs Commands with one sync's abort signal and a timeout, and keeps
// reads apart from changes. `read` only accepts invocations the core's dry-run exec knows to be read-only
// (isReadOnlyCommand), so every read a backend makes also runs under `--dry-run`, and what a dry run reports
// as skipped is exactly what a real sync would change.
import { isReadOnlyCommand, type Exec, type ExecResult } from '@egress-proxier/core';
import { commandLine, type Command } from './command.js';
import { ipBatch } from './ip-batch.js';

const TIMEOUT_MS = 20_000;

export interface RunOptions {
  input?: string;
  /** Non-zero exit codes that are an answer (e.g. "no such device"), not a failure. */
  allowedExitCodes?: number[];
}

export class CommandRunner {
  constructor(
    private readonly exec: Exec,
    private readonly signal: AbortSignal | undefined,
  ) {}

  /** Runs a command that may change the host (skipped under `--dry-run`). */
  run(command: Command, options: RunOptions = {}): Promise<ExecResult> {
    return this.exec.run({
      command: command.command,
      args: command.args,
      timeoutMs: TIMEOUT_MS,
      ...(options.input === undefined ? {} : { input: options.input }),
      ...(options.allowedExitCodes === undefined ? {} : { allowedExitCodes: options.allowedExitCodes }),
      ...(this.signal === undefined ? {} : { signal: this.signal }),
    });
  }

  /** Runs a query; throws (a programming error) for an invocation that is not known to only read. */
  async read(command: Command, options: Omit<RunOptions, 'input'> = {}): Promise<ExecResult> {
    if (!isReadOnlyCommand(command)) {
      throw new Error(`not a read-only invocation, refusing to run it as a read: ${commandLine(command)}`);
    }
    return this.run(command, options);
  }

  /** The standard output of a query. */
  async stdout(command: string, ...args: string[]): Promise<string> {
    return (await this.read({ command, args })).stdout;
  }

  /** Runs `ip` commands in one `ip -batch -` (one exec), a single one as itself; returns the execs made. */
  async runIpBatch(commands: readonly Command[]): Promise<number> {
    if (commands.length === 0) return 0;
    const [only] = commands;
    if (commands.length === 1 && only !== undefined) await this.run(only);
    else {
      const batch = ipBatch(commands);
      await this.run(batch.command, { input: batch.input });
    }
    return 1;
  }
}
