// The guest lab's machine on this host: boots Debian's cloud kernel under qemu (TCG), runs argv there with
// netlab's and the core's semantics, streams long-running processes, and leaves no process behind. Needs
// root, qemu-system-x86, busybox-static and kmod (scripts/setup.sh); fails, never skips, without them.
import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { release as hostRelease } from 'node:os';
import { CommandFailed } from '@egress-proxier/netlab';
import { ExecError } from '@egress-proxier/core/plugin';
import { GuestMachine, guestExec } from '../src/guest/index.js';
import { pidsMentioning } from '../src/guest/owned-process.js';
import { alive, exitOf, outputOf } from './helpers/guest.js';

describe('guest machine (qemu TCG, Debian cloud kernel)', function () {
  this.timeout(180_000);
  let machine: GuestMachine;

  before(async () => {
    machine = await GuestMachine.boot({ name: 'guest-machine-test' });
  });
  after(async () => {
    await machine?.shutdown();
  });

  it("runs the Debian kernel, not the host's", async () => {
    const uname = await machine.run('uname', ['-r']);
    expect(uname.stdout.trim()).to.equal(machine.image.release).and.to.equal(machine.release);
    expect(machine.release).to.not.equal(hostRelease());
    // Set at boot: timestamps the guest reports compare with the host's.
    const offset = await machine.clockOffset();
    expect(Math.abs(offset)).to.be.below(50);
    const before = Date.now();
    const guestNow = Number((await machine.run('date', ['+%s%3N'])).stdout);
    expect(guestNow).to.be.within(before - 50, Date.now() + 50);
    const started = performance.now();
    for (let i = 0; i < 10; i++) await machine.run('true', []);
    const roundTrip = (performance.now() - started) / 10;
    const nodeStarted = performance.now();
    await machine.run(process.execPath, ['-e', '0']);
    console.log(
      `      boot ${machine.bootMs} ms; clock offset ${offset.toFixed(1)} ms; run(true) ${roundTrip.toFixed(0)} ms; ` +
        `node -e 0 ${Math.round(performance.now() - nodeStarted)} ms`,
    );
  });

  it('has IPVS: ipvsadm adds, lists and deletes a fwmark service (in a namespace of its own)', async () => {
    const namespace = 'guesttest-ipvs';
    const ipvsadm = (...args: string[]) =>
      machine.run('ip', ['netns', 'exec', namespace, 'ipvsadm', ...args]);
    await machine.run('ip', ['netns', 'add', namespace]);
    try {
      // A real server must be a unicast destination: a veth pair inside the namespace gives it a route.
      await machine.run('ip', ['-n', namespace, 'link', 'add', 'va', 'type', 'veth', 'peer', 'name', 'vb']);
      await machine.run('ip', ['-n', namespace, 'addr', 'add', '192.0.2.1/24', 'dev', 'va']);
      await machine.run('ip', ['-n', namespace, 'link', 'set', 'va', 'up']);
      await ipvsadm('-A', '-f', '7', '-s', 'sh');
      await ipvsadm('-a', '-f', '7', '-r', '192.0.2.12', '-g', '-w', '1');
      expect((await ipvsadm('-S', '-n')).stdout).to.equal('-A -f 7 -s sh\n-a -f 7 -r 192.0.2.12:0 -g -w 1\n');
      await ipvsadm('-D', '-f', '7');
      expect((await ipvsadm('-S', '-n')).stdout).to.equal('');
    } finally {
      await machine.run('ip', ['netns', 'del', namespace], { allowFailure: true });
    }
  });

  it("judges exit codes as netlab's run: CommandFailed, or the result with allowFailure", async () => {
    const failure = await machine
      .run('sh', ['-c', 'echo broken >&2; exit 3'])
      .catch((error: unknown) => error);
    expect(failure).to.be.instanceOf(CommandFailed);
    expect((failure as CommandFailed).argv).to.deep.equal(['sh', '-c', 'echo broken >&2; exit 3']);
    expect((failure as Error).message).to.match(/failed with exit code 3: broken$/);
    expect(await machine.run('sh', ['-c', 'exit 3'], { allowFailure: true })).to.deep.equal({
      exitCode: 3,
      stdout: '',
      stderr: '',
    });
    expect((await machine.run('cat', [], { input: 'to stdin\n' })).stdout).to.equal('to stdin\n');
    const missing = await machine.run('egp-no-such-tool', [], { allowFailure: true });
    expect(missing).to.deep.include({ exitCode: -1, stderr: 'spawn egp-no-such-tool ENOENT' });
    const slow = await machine.run('sleep', ['10'], { allowFailure: true, timeoutMs: 300 });
    expect(slow).to.deep.include({ exitCode: -1, stderr: 'timed out after 300 ms; killed with SIGTERM' });
  });

  it('carries tens of MB of output in one run', async () => {
    const started = performance.now();
    const { stdout } = await machine.run('seq', ['1', '3000000']);
    expect(stdout.length).to.equal(22_888_896);
    expect(stdout.endsWith('\n2999999\n3000000\n')).to.equal(true);
    console.log(`      22.9 MB of output: ${Math.round(performance.now() - started)} ms`);
  });

  it("is the core's Exec: allowed exit codes, ExecError, timeouts and aborts", async () => {
    const exec = guestExec(machine);
    expect(await exec.run({ command: 'sh', args: ['-c', 'exit 1'], allowedExitCodes: [1] })).to.include({
      exitCode: 1,
    });
    const failed = await exec
      .run({ command: 'sh', args: ['-c', 'echo no >&2; exit 2'] })
      .catch((e: unknown) => e);
    expect(failed).to.be.instanceOf(ExecError);
    expect((failed as Error).message).to.equal('sh -c echo no >&2; exit 2: exit code 2: no');
    const missing = await exec.run({ command: 'egp-no-such-tool', args: [] }).catch((e: unknown) => e);
    expect((missing as Error).message).to.match(/command not found: egp-no-such-tool/);
    const late = await exec.run({ command: 'sleep', args: ['10'], timeoutMs: 300 }).catch((e: unknown) => e);
    expect((late as Error).message).to.equal('sleep 10: timed out after 300 ms; killed with SIGTERM');
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const started = Date.now();
    const aborted = await exec
      .run({ command: 'sleep', args: ['10'], signal: controller.signal })
      .catch((e: unknown) => e);
    expect((aborted as Error).message).to.equal('sleep 10: aborted');
    expect(Date.now() - started).to.be.below(5000);
  });

  it('spawns long-running processes: streamed output, writable stdin, kill and exit', async () => {
    const echo = machine.spawn('sh', ['-c', 'while read line; do echo "got $line"; done'], { stdin: true });
    echo.stdin?.write('one\n');
    echo.stdin?.write('two\n');
    expect(await outputOf(echo, 'got two\n')).to.equal('got one\ngot two\n');
    echo.stdin?.end();
    expect(await exitOf(echo)).to.deep.equal({ code: 0, signal: null });

    const sleeper = machine.spawn('sleep', ['60']);
    await new Promise((resolve) => sleeper.once('spawn', resolve));
    expect(sleeper.pid).to.be.a('number');
    expect((await machine.run('cat', [`/proc/${sleeper.pid}/cmdline`])).stdout).to.equal('sleep\x0060\x00');
    expect(sleeper.kill('SIGTERM')).to.equal(true);
    expect(await exitOf(sleeper)).to.deep.equal({ code: null, signal: 'SIGTERM' });
    expect(sleeper.kill('SIGTERM')).to.equal(false);

    const missing = machine.spawn('egp-no-such-tool', []);
    expect(await exitOf(missing)).to.deep.equal({ code: 127, signal: null });
  });

  it('shuts down cleanly and leaves no process of ours', async () => {
    const { qemu, virtiofsd } = machine.hostPids;
    const running = machine.spawn('sleep', ['600']);
    const started = performance.now();
    await machine.shutdown();
    console.log(`      shutdown ${Math.round(performance.now() - started)} ms`);
    expect(await exitOf(running)).to.deep.equal({ code: null, signal: 'SIGKILL' });
    expect([qemu, virtiofsd].filter((pid) => pid !== undefined && alive(pid))).to.deep.equal([]);
    expect(pidsMentioning(machine.runDir)).to.deep.equal([]);
    expect(existsSync(machine.runDir)).to.equal(false);
    const after = await machine.run('true', []).catch((error: unknown) => error);
    expect(String(after)).to.match(/was shut down/);
  });
});
