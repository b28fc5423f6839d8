// Runs host tools with argument arrays (no shell), inside a network namespace when asked.
import { execFile, spawn, type ChildProcess } from 'node:child_process';

export interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  input?: string;
  /** Resolve with the result instead of throwing when the exit code is not 0. */
  allowFailure?: boolean;
  timeoutMs?: number;
}

export class CommandFailed extends Error {
  override name = 'CommandFailed';
  constructor(
    readonly argv: readonly string[],
    readonly result: RunResult,
  ) {
    super(
      `${argv.join(' ')} failed with exit code ${result.exitCode}: ${result.stderr.trim() || result.stdout.trim()}`,
    );
  }
}

export function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      command,
      [...args],
      {
        timeout: options.timeoutMs ?? 30_000,
        maxBuffer: 64 * 1024 * 1024,
        env: { ...process.env, LC_ALL: 'C' },
      },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        const result = {
          exitCode: code,
          stdout,
          stderr: error !== null && code === -1 ? `${stderr}${error.message}` : stderr,
        };
        if (code !== 0 && options.allowFailure !== true)
          reject(new CommandFailed([command, ...args], result));
        else resolve(result);
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
    else child.stdin?.end();
  });
}

/** `ip netns exec <namespace> <command> <args…>`. */
export function runIn(namespace: string, command: string, args: readonly string[], options: RunOptions = {}) {
  return run('ip', ['netns', 'exec', namespace, command, ...args], options);
}

/** Starts a long-running process inside a namespace; `ip netns exec` execs it, so the PID is the process's own. */
export function spawnIn(namespace: string, command: string, args: readonly string[]): ChildProcess {
  return spawn('ip', ['netns', 'exec', namespace, command, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
}
