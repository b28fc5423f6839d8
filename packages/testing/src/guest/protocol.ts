// The guest agent's protocol: one JSON object per line over the virtio-serial port, both ways. Requests carry
// an id the host chose; every event about a request carries it back, so runs and processes interleave freely.
// Output travels as UTF-8 text (what the lab's tools print), decoded in the guest as node's execFile would.

export type GuestRequest =
  /** Run argv to completion: answered by one `ran`. */
  | { op: 'run'; id: number; argv: string[]; input?: string; timeoutMs: number }
  /** Start a long-running process: `spawned`, `output`s, `exited` and `closed` (as node's 'exit', 'close'). */
  | { op: 'spawn'; id: number; argv: string[]; stdin: boolean }
  /** Write to a spawned process's stdin, or close it. */
  | { op: 'write'; id: number; data: string }
  | { op: 'end'; id: number }
  /** Signal a run or a spawned process. */
  | { op: 'kill'; id: number; signal: NodeJS.Signals }
  /** Read the guest's clock (Date.now()): answered by one `clock`. */
  | { op: 'clock'; id: number }
  /** Stop every process and exit; the guest's init then powers the machine off. */
  | { op: 'shutdown' };

export type GuestEvent =
  | { type: 'ready'; release: string; uptimeSeconds: number }
  | { type: 'ran'; id: number; outcome: RunOutcome }
  | { type: 'clock'; id: number; epochMs: number }
  | { type: 'spawned'; id: number; pid: number }
  | { type: 'output'; id: number; stream: 'stdout' | 'stderr'; data: string }
  | { type: 'exited'; id: number; code: number | null; signal: NodeJS.Signals | null; error?: string }
  /** Its stdout and stderr have ended (after `exited`; later still if a child of it holds them open). */
  | { type: 'closed'; id: number };

/** How a run ended, in full: the host maps it to netlab's RunResult or the core's ExecError. */
export interface RunOutcome {
  /** null when the process did not exit normally (killed, or never started). */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Why it could not start (`ENOENT`), or `maxBuffer` when its output was too large. */
  error?: string;
  /** The agent killed it at its timeout. */
  timedOut: boolean;
}

/** Output a run may produce before it is killed: iptables-save of 150k entries is ~20 MB. */
export const MAX_RUN_OUTPUT_BYTES = 128 * 1024 * 1024;
