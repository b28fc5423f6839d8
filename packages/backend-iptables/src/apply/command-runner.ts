// A thin layer over the core Exec seam: runs Commands with this sync's abort signal and a timeout.
import type { Exec, ExecResult } from '@egress-proxier/core';
import type { Command } from '../render/commands.js';

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

  async stdout(command: string, ...args: string[]): Promise<string> {
    return (await this.run({ command, args })).stdout;
  }
}
