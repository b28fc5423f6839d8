// Where the lab's commands run. By default on this host (`ip netns exec` for a namespace); a test that runs
// the lab inside a guest kernel (qemu) hands in a host whose commands go to the guest instead.
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { run, spawnIn, type RunOptions, type RunResult } from './run.js';

export interface LabHost {
  /** Runs a command in the host's root namespace (only the lab's own `ip netns add/del` and reads). */
  run(command: string, args: readonly string[], options?: RunOptions): Promise<RunResult>;
  /** Starts a long-running process inside a namespace; its PID must be the process's own. */
  spawn(namespace: string, command: string, args: readonly string[], options?: SpawnOptions): ChildProcess;
}

export interface SpawnOptions {
  /** Give the process a writable stdin (probe agents read requests from it). */
  stdin?: boolean;
}

export const localHost: LabHost = {
  run: (command, args, options) => run(command, args, options),
  spawn: (namespace, command, args, options) =>
    options?.stdin === true
      ? spawn('ip', ['netns', 'exec', namespace, command, ...args], { stdio: ['pipe', 'pipe', 'pipe'] })
      : spawnIn(namespace, command, args),
};
