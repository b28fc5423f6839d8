// The guest lab when things go wrong: a boot that fails or hangs cleans up (no qemu, no virtiofsd, no
// sockets) and says why, and a missing tool names the Debian package to install.
import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  assertGuestPrerequisites,
  ensureGuestImage,
  GuestBootError,
  GuestMachine,
  GuestPrerequisiteError,
  type GuestImage,
} from '../src/guest/index.js';
import { pidsMentioning } from '../src/guest/owned-process.js';

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
