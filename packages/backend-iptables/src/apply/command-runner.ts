// A thin layer over the core Exec seam: runs Commands with this sync's abort signal and a timeout.
import type { Exec, ExecResult } from '@egress-proxier/core';
import { ipBatch, type Command } from '../render/commands.js';

const TIMEOUT_MS = 20_000;

export class CommandRunner {
  constructor(
    private readonly exec: Exec,
    private readonly signal: AbortSignal | undefined,
  ) {}

  run(command: Command, options: { input?: string; allowedExitCodes?: number[] } = {}): Promise<ExecResult> {
    return this.exec.run({
      command: command.command,
      args: command.args,
      timeoutMs: TIMEOUT_MS,
      ...(options.input === undefined ? {} : { input: options.input }),
      ...(options.allowedExitCodes === undefined ? {} : { allowedExitCodes: options.allowedExitCodes }),
      ...(this.signal === undefined ? {} : { signal: this.signal }),
    });
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

  async stdout(command: string, ...args: string[]): Promise<string> {
    return (await this.run({ command, args })).stdout;
  }
}
