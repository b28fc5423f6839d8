// The guest lab when things go wrong: a boot that fails or hangs cleans up (no qemu, no virtiofsd, no
// sockets) and says why; a test process that dies with a guest up takes qemu and virtiofsd with it; a missing
// tool names the Debian package to install.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import {
  assertGuestPrerequisites,
  ensureGuestImage,
  GuestBootError,
  GuestMachine,
  GuestPrerequisiteError,
  type GuestImage,
} from '../src/guest/index.js';
import { pidsMentioning } from '../src/guest/owned-process.js';
import { alive } from './helpers/guest.js';

const BOOT_AND_LEAVE = fileURLToPath(new URL('./helpers/boot-and-leave.js', import.meta.url));

async function bootFailure(options: Parameters<typeof GuestMachine.boot>[0]): Promise<GuestBootError> {
  const outcome = await GuestMachine.boot(options).then(
    async (machine) => {
      await machine.shutdown();
      return new Error('the boot succeeded');
    },
    (error: unknown) => error,
  );
  expect(outcome).to.be.instanceOf(GuestBootError);
  return outcome as GuestBootError;
}

function expectCleanedUp(failure: GuestBootError): void {
  expect(pidsMentioning(failure.runDir), 'processes of the failed machine').to.deep.equal([]);
  expect(existsSync(failure.runDir), failure.runDir).to.equal(false);
}

describe('guest lab failures', function () {
  this.timeout(120_000);
  let image: GuestImage;

  before(async () => {
    image = await ensureGuestImage();
  });

  it("a missing kernel: qemu's reason, and nothing left behind", async () => {
    const failure = await bootFailure({
      name: 'guest-no-kernel',
      image: { ...image, kernel: '/nonexistent/vmlinuz' },
    });
    expect(failure.message).to.match(/^guest guest-no-kernel did not boot: qemu exited/);
    expect(failure.message).to.match(/--- qemu ---\n.*could not open kernel file '\/nonexistent\/vmlinuz'/);
    expectCleanedUp(failure);
  });

  it('an agent that is not ready in time: the timeout, the console so far, and nothing left behind', async () => {
    const failure = await bootFailure({ name: 'guest-slow', image, bootTimeoutMs: 1500 });
    expect(failure.message).to.match(/did not boot: the agent was not ready within 1500 ms/);
    expect(failure.message).to.include(`--- console (${failure.consoleLog}) ---`);
    expectCleanedUp(failure);
  });

  for (const [how, end] of [
    ['exits without shutting it down', 'exit'],
    ['is killed with SIGKILL', 'hold'],
  ] as const) {
    it(`a test process that ${how} leaves no qemu or virtiofsd`, async () => {
      const child = spawn(process.execPath, [BOOT_AND_LEAVE, end], { stdio: ['pipe', 'pipe', 'inherit'] });
      const line = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout }).once('line', resolve);
        child.once('exit', (code) => reject(new Error(`boot-and-leave exited with ${code} before booting`)));
      });
      const { runDir, pids } = JSON.parse(line) as { runDir: string; pids: number[] };
      expect(pids.filter((pid) => alive(pid))).to.have.length(2);
      if (end === 'hold') child.kill('SIGKILL');
      else child.stdin.end();
      await new Promise((resolve) =>
        child.exitCode !== null || child.signalCode !== null
          ? resolve(undefined)
          : child.once('exit', resolve),
      );
      // The parent-death signal is delivered as the process dies; give the kernel a moment to reap. A dying
      // qemu loses its cmdline (its memory goes first) before it is a zombie: wait for both.
      const lingering = () => pidsMentioning(runDir).length > 0 || pids.some((pid) => alive(pid));
      const deadline = Date.now() + 15_000;
      while (lingering() && Date.now() < deadline) await sleep(100);
      expect(pidsMentioning(runDir)).to.deep.equal([]);
      expect(pids.filter((pid) => alive(pid))).to.deep.equal([]);
      if (end === 'exit')
        expect(existsSync(runDir), 'the exit handler removes the private directory').to.equal(false);
      await rm(runDir, { recursive: true, force: true });
    });
  }

  it('a missing tool names the Debian package that ships it', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'egp-no-tools-'));
    try {
      const failure = await assertGuestPrerequisites({
        path: [empty],
        virtiofsd: join(empty, 'virtiofsd'),
        busyboxPackage: 'egp-no-such-package',
      }).catch((error: unknown) => error);
      expect(failure).to.be.instanceOf(GuestPrerequisiteError);
      const message = (failure as Error).message;
      expect(message).to.match(/^the guest lab needs qemu-system-x86_64, .*virtiofsd, depmod, modprobe/);
      expect(message).to.include('a static busybox');
      expect(message).to.include(
        'apt-get install --no-install-recommends qemu-system-x86 qemu-system-common kmod util-linux apt dpkg ' +
          'busybox-static',
      );
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});
