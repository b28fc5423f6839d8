// The host processes a guest machine starts (virtiofsd, qemu). They are stopped by their PID only, never by
// name, and never outlive the test process: setpriv gives each a parent-death SIGKILL (the test process
// killed with SIGKILL), and an 'exit' handler kills whatever is still running when node exits normally.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** Output kept for error messages: the end of what the process printed. */
const TAIL_BYTES = 16 * 1024;

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

const running = new Set<OwnedProcess>();
let exitHandlerInstalled = false;

function installExitHandler(): void {
  if (exitHandlerInstalled) return;
  exitHandlerInstalled = true;
  process.on('exit', () => {
    for (const owned of running) owned.killNow();
  });
}

export class OwnedProcess {
  readonly exited: Promise<Exit>;
  private exit: Exit | undefined;
  private output = '';

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    running.add(this);
    installExitHandler();
    const keep = (data: Buffer) => (this.output = (this.output + data.toString()).slice(-TAIL_BYTES));
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => {
      child.once('error', (error) => keep(Buffer.from(`${name}: ${error.message}\n`)));
      child.once('close', (code, signal) => {
        running.delete(this);
        this.exit = { code, signal };
        resolve(this.exit);
      });
    });
  }

  /** Starts argv with a parent-death SIGKILL; setpriv execs it, so the PID is the program's own. */
  static start(name: string, argv: readonly string[]): OwnedProcess {
    const child = spawn('setpriv', ['--pdeathsig', 'SIGKILL', '--', ...argv], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new OwnedProcess(name, child);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get hasExited(): boolean {
    return this.exit !== undefined;
  }

  /** The end of its stdout and stderr. */
  get tail(): string {
    return this.output.trim();
  }

  killNow(): void {
    if (this.exit === undefined && this.child.pid !== undefined) {
      try {
        process.kill(this.child.pid, 'SIGKILL');
      } catch {
        // Already gone between the check and the kill.
      }
    }
  }

  /** Waits up to `graceMs` for it to exit on its own, then kills it. */
  async stop(graceMs: number): Promise<Exit> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), graceMs)));
    const first = await Promise.race([this.exited, late]);
    clearTimeout(timer);
    if (first === 'late') this.killNow();
    return this.exited;
  }
}

/**
 * PIDs of processes whose command line contains `marker` (a machine's private directory): what tests use to
 * show that nothing of a machine is left, the worker virtiofsd forks into its sandbox included.
 */
export function pidsMentioning(marker: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(marker)) pids.push(Number(entry));
    } catch {
      // It exited while we looked.
    }
  }
  return pids;
}
