// Where the lab's commands run. By default on this host (`ip netns exec` for a namespace); a test that runs
// the lab inside a guest kernel (qemu) hands in a host whose commands go to the guest instead.
import { spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { run, spawnIn, type RunOptions, type RunResult } from './run.js';

export interface LabHost {
  /** Runs a command in the host's root namespace (only the lab's own `ip netns add/del` and reads). */
  run(command: string, args: readonly string[], options?: RunOptions): Promise<RunResult>;
  /** Starts a long-running process inside a namespace; its PID must be the process's own. */
  spawn(namespace: string, command: string, args: readonly string[], options?: SpawnOptions): LabProcess;
  /**
   * How many times longer one connection may take here than on this machine natively: 1 when absent, more in
   * an emulated guest, which stalls for up to a second while the proxiers' commands run. Suites stretch their
   * per-connection timeouts by it; what a connection must show (its source address) is judged the same.
   */
  readonly timeScale?: number;
}

export interface SpawnOptions {
  /** Give the process a writable stdin (probe agents read requests from it). */
  stdin?: boolean;
}

/**
 * What the lab and its users need of a long-running process: node's ChildProcess is one, and so is a process
 * running in a guest kernel, whose output and exit arrive over the guest's channel.
 */
export interface LabProcess {
  /** The process's own PID (on the host that runs it); undefined until it has started. */
  readonly pid?: number | undefined;
  readonly stdin: Writable | null;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  kill(signal?: NodeJS.Signals | number): boolean;
  on(event: 'exit', listener: (code: number | null, signal: NodeJS.Signals | null) => void): this;
  once(event: 'exit', listener: (code: number | null, signal: NodeJS.Signals | null) => void): this;
}

export const localHost: LabHost = {
  run: (command, args, options) => run(command, args, options),
  spawn: (namespace, command, args, options) =>
    options?.stdin === true
      ? spawn('ip', ['netns', 'exec', namespace, command, ...args], { stdio: ['pipe', 'pipe', 'pipe'] })
      : spawnIn(namespace, command, args),
};
