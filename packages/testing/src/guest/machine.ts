// A qemu (TCG) guest running Debian's cloud kernel (IP_VS and friends as modules), with the host's userland
// read-only over virtiofs and an agent that runs argv there (docs/guest-lab.md). Commands take the shapes of
// netlab's run (run) and of a child process (spawn); guestLabHost and guestExec adapt them for the lab and
// for a proxier under test. No qemu or virtiofsd outlives shutdown(), a failed boot, or the test process.
import { rmSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CommandFailed, type RunOptions, type RunResult } from '@egress-proxier/netlab';
import { connectOrExit, describeExit, readyOrExit, waitForSocket } from './boot-waits.js';
import type { ExecuteOptions, GuestChannel, ReadyEvent } from './channel.js';
import { clockOffset, syncClock } from './clock.js';
import type { GuestProcess } from './guest-process.js';
import { ensureGuestImage, guestBuildDir, type GuestImage } from './image.js';
import { qemuArgv, virtiofsdArgv, type MachinePaths } from './launch.js';
import { OwnedProcess } from './owned-process.js';
import { assertGuestPrerequisites } from './prerequisites.js';
import { toRunResult } from './outcome.js';
import type { RunOutcome } from './protocol.js';
import { consoleTail, pruneLogs, removeDeadRunDirs, RUN_DIR_PREFIX } from './run-files.js';

export interface GuestBootOptions {
  /** Names the console log: <build dir>/logs/<name>-<pid>-<n>.log. */
  name?: string;
  cpus?: number;
  memoryMiB?: number;
  /** From starting qemu to the agent's ready line (TCG: ~5 s on an idle machine). */
  bootTimeoutMs?: number;
  /** Default: ensureGuestImage(), which builds or refreshes the image first. */
  image?: GuestImage;
}

export class GuestBootError extends Error {
  override name = 'GuestBootError';
  constructor(
    message: string,
    /** The machine's private directory (removed): no process mentions it any more. */
    readonly runDir: string,
    readonly consoleLog: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

const AGENT = fileURLToPath(new URL('./agent.js', import.meta.url));
const DEFAULT_RUN_TIMEOUT_MS = 30_000;
/** Time for the guest to power off after the agent exits (it has nothing to unmount: all is read-only). */
const POWEROFF_GRACE_MS = 15_000;
let sequence = 0;

/** Machines still running, for the process 'exit' handler (their private directories). */
const live = new Set<GuestMachine>();
process.on('exit', () => {
  for (const machine of live) rmSync(machine.runDir, { recursive: true, force: true });
});

export class GuestMachine {
  private stopping: Promise<void> | undefined;

  private constructor(
    readonly name: string,
    /** Sockets and virtiofsd's mount point, removed at shutdown. */
    readonly runDir: string,
    readonly consoleLog: string,
    readonly image: GuestImage,
    /**
     * bootMs: from starting virtiofsd to the agent's ready line. clockOffsetMs: the guest's clock minus the
     * host's once set at boot (a few ms; timestamps from both sides compare).
     */
    readonly timings: { bootMs: number; clockOffsetMs: number },
    readonly ready: ReadyEvent,
    private readonly virtiofsd: OwnedProcess,
    private readonly qemu: OwnedProcess,
    private readonly channel: GuestChannel,
  ) {
    live.add(this);
    void qemu.exited.then(async (exit) => {
      if (this.stopping !== undefined) return;
      this.channel.close(
        new Error(
          `guest ${name} stopped unexpectedly (qemu ${describeExit(exit)}):\n${await consoleTail(consoleLog)}`,
        ),
      );
      this.stopping = this.teardown();
    });
  }

  static async boot(options: GuestBootOptions = {}): Promise<GuestMachine> {
    await assertGuestPrerequisites();
    const image = options.image ?? (await ensureGuestImage());
    const name = options.name ?? 'guest';
    const logs = join(guestBuildDir(), 'logs');
    await mkdir(logs, { recursive: true });
    await pruneLogs(logs);
    await removeDeadRunDirs();
    const runDir = await mkdtemp(join(tmpdir(), `${RUN_DIR_PREFIX}${process.pid}-`));
    const paths: MachinePaths = {
      rootMount: join(runDir, 'root'),
      virtiofsSocket: join(runDir, 'virtiofs.sock'),
      agentSocket: join(runDir, 'agent.sock'),
      consoleLog: join(logs, `${name}-${process.pid}-${++sequence}.log`),
    };
    await mkdir(paths.rootMount);
    const started = performance.now();
    let virtiofsd: OwnedProcess | undefined;
    let qemu: OwnedProcess | undefined;
    let channel: GuestChannel | undefined;
    try {
      for (const path of [image.kernel, image.initrd, image.modulesRoot, process.execPath, AGENT]) {
        // The kernel command line carries the last three to init: a space would split them.
        if (/\s/.test(path)) throw new Error(`${path}: the guest lab cannot use paths with whitespace`);
      }
      virtiofsd = OwnedProcess.start('virtiofsd', virtiofsdArgv(paths));
      await waitForSocket(paths.virtiofsSocket, virtiofsd);
      qemu = OwnedProcess.start(
        'qemu',
        qemuArgv(paths, {
          kernel: image.kernel,
          initrd: image.initrd,
          cpus: options.cpus ?? 2,
          memoryMiB: options.memoryMiB ?? 2048,
          node: process.execPath,
          agent: AGENT,
          modulesRoot: image.modulesRoot,
        }),
      );
      await waitForSocket(paths.agentSocket, qemu);
      channel = await connectOrExit(paths.agentSocket, qemu);
      const ready = await readyOrExit(channel, qemu, options.bootTimeoutMs ?? 120_000);
      const bootMs = Math.round(performance.now() - started);
      const connected = channel;
      const clockOffsetMs = await syncClock(connected, (argv) =>
        connected.execute(argv, { timeoutMs: 10_000 }),
      );
      return new GuestMachine(
        name,
        runDir,
        paths.consoleLog,
        image,
        { bootMs, clockOffsetMs },
        ready,
        virtiofsd,
        qemu,
        channel,
      );
    } catch (error) {
      channel?.close(new Error('boot failed'));
      qemu?.killNow();
      virtiofsd?.killNow();
      await Promise.all([qemu?.exited, virtiofsd?.exited]);
      await rm(runDir, { recursive: true, force: true });
      const reason = error instanceof Error ? error.message : String(error);
      throw new GuestBootError(
        `guest ${name} did not boot: ${reason}` +
          section('qemu', qemu?.tail) +
          section('virtiofsd', virtiofsd?.tail) +
          section(`console (${paths.consoleLog})`, (await consoleTail(paths.consoleLog)) || '(nothing yet)'),
        runDir,
        paths.consoleLog,
        { cause: error },
      );
    }
  }

  get bootMs(): number {
    return this.timings.bootMs;
  }

  /** The guest's clock minus the host's now, in ms (measured, not the figure from boot). */
  clockOffset(): Promise<number> {
    return clockOffset(this.channel);
  }

  /** The kernel's release (`uname -r`) as the agent reported it. */
  get release(): string {
    return this.ready.release;
  }

  /** PIDs of the host processes this machine started (for tests that check nothing is left). */
  get hostPids(): { qemu: number | undefined; virtiofsd: number | undefined } {
    return { qemu: this.qemu.pid, virtiofsd: this.virtiofsd.pid };
  }

  get running(): boolean {
    return this.stopping === undefined;
  }

  /** Runs argv in the guest with netlab's run semantics (throws CommandFailed unless allowFailure). */
  async run(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_RUN_TIMEOUT_MS;
    const outcome = await this.execute([command, ...args], {
      timeoutMs,
      ...(options.input === undefined ? {} : { input: options.input }),
    });
    const result = toRunResult(outcome, command, timeoutMs);
    if (result.exitCode !== 0 && options.allowFailure !== true)
      throw new CommandFailed([command, ...args], result);
    return result;
  }

  /** Runs argv in the guest and reports how it ended, whatever that was (rejects only if the guest is gone). */
  execute(argv: readonly string[], options: ExecuteOptions): Promise<RunOutcome> {
    return this.channel.execute(argv, options);
  }

  /** Starts a long-running process in the guest (its stdout and stderr stream back as they come). */
  spawn(command: string, args: readonly string[], options: { stdin?: boolean } = {}): GuestProcess {
    return this.channel.spawn([command, ...args], options.stdin === true);
  }

  /** Powers the guest off (SIGKILL to qemu if it lingers), stops virtiofsd, removes the sockets. Idempotent. */
  shutdown(): Promise<void> {
    if (this.stopping === undefined) {
      this.channel.shutdown(new Error(`guest ${this.name} was shut down`));
      this.stopping = this.teardown();
    }
    return this.stopping;
  }

  private async teardown(): Promise<void> {
    await this.qemu.stop(POWEROFF_GRACE_MS);
    this.channel.close(new Error(`guest ${this.name} was shut down`));
    // It exits once qemu has disconnected; the grace only covers a hung one.
    await this.virtiofsd.stop(5000);
    await rm(this.runDir, { recursive: true, force: true });
    live.delete(this);
  }
}

function section(title: string, text: string | undefined): string {
  return text === undefined || text === '' ? '' : `\n--- ${title} ---\n${text}`;
}
