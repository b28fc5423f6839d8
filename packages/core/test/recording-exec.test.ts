// The recording fake must behave like the real Exec where backends can tell (exit codes, aborts) and make
// assertions about what ran easy to read.
import { expect } from 'chai';
import { ExecError } from '../src/exec/exec.js';
import { RecordingExec } from '../src/testing/recording-exec.js';
import { ManualClock, MANUAL_CLOCK_EPOCH_MS } from '../src/testing/manual-clock.js';

async function rejection(promise: Promise<unknown>): Promise<ExecError> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(ExecError);
    return error as ExecError;
  }
  throw new Error('expected the command to fail');
}

describe('RecordingExec', () => {
  it('records every request in order and answers exit 0 with empty output by default', async () => {
    const exec = new RecordingExec();
    const result = await exec.run({
      command: 'ipset',
      args: ['restore', '-exist'],
      input: 'add s 10.244.0.1\n',
    });
    await exec.run({ command: 'iptables-restore', args: ['--noflush'] });
    expect(result).to.deep.equal({ exitCode: 0, stdout: '', stderr: '' });
    expect(exec.commandLines()).to.deep.equal(['ipset restore -exist', 'iptables-restore --noflush']);
    expect(exec.calls[0]?.input).to.equal('add s 10.244.0.1\n');
  });

  it('keeps a copy of the arguments, so later mutation by the caller does not rewrite history', async () => {
    const exec = new RecordingExec();
    const args = ['list'];
    await exec.run({ command: 'ipset', args });
    args.push('-n');
    expect(exec.commandLines()).to.deep.equal(['ipset list']);
  });

  const matcherCases: {
    name: string;
    matcher: string | RegExp | ((r: { input?: string }) => boolean);
    hits: string[];
  }[] = [
    { name: 'a program name matches all its calls', matcher: 'ipset', hits: ['ipset list -n', 'ipset save'] },
    { name: 'a prefix matches whole words only', matcher: 'ipset list', hits: ['ipset list -n'] },
    { name: 'an exact command line', matcher: 'ipset save', hits: ['ipset save'] },
    { name: 'a partial word does not match', matcher: 'ipset li', hits: [] },
    {
      name: 'a RegExp over the command line',
      matcher: /^ip(set)? .*-n/,
      hits: ['ipset list -n', 'ip -n ns1 addr show'],
    },
    { name: 'a global RegExp matches every time', matcher: /save/g, hits: ['ipset save', 'iptables-save'] },
    {
      name: 'a predicate over the request',
      matcher: (request) => request.input !== undefined,
      hits: ['ipset save'],
    },
  ];
  for (const testCase of matcherCases) {
    it(`respond: ${testCase.name}`, async () => {
      const exec = new RecordingExec().respond(testCase.matcher, { stdout: 'hit' });
      const lines = [
        { command: 'ipset', args: ['list', '-n'] },
        { command: 'ipset', args: ['save'], input: '' },
        { command: 'ip', args: ['-n', 'ns1', 'addr', 'show'] },
        { command: 'iptables-save', args: [] },
      ];
      const hits: string[] = [];
      for (const request of lines) {
        const result = await exec.run(request);
        if (result.stdout === 'hit') hits.push([request.command, ...request.args].join(' '));
      }
      expect(hits).to.deep.equal(testCase.hits);
    });
  }

  it('lets a later respond override an earlier one, and computes results from the request', async () => {
    const exec = new RecordingExec()
      .respond('ip', { stdout: 'generic' })
      .respond('ip route', (request) => ({ stdout: `routes of ${request.args.at(-1) ?? ''}` }));
    expect((await exec.run({ command: 'ip', args: ['route', 'show', 'table', '100'] })).stdout).to.equal(
      'routes of 100',
    );
    expect((await exec.run({ command: 'ip', args: ['rule', 'show'] })).stdout).to.equal('generic');
  });

  it('throws an ExecError for a scripted non-zero exit, like the real Exec', async () => {
    const exec = new RecordingExec().respond('iptables-restore', { exitCode: 1, stderr: 'line 2 failed' });
    const error = await rejection(exec.run({ command: 'iptables-restore', args: ['--noflush'] }));
    expect(error.message).to.equal('iptables-restore --noflush: exit code 1: line 2 failed');
    expect(error.result).to.deep.equal({ exitCode: 1, stdout: '', stderr: 'line 2 failed' });
  });

  it('returns an allowed non-zero exit code', async () => {
    const exec = new RecordingExec().respond('ipset test', { exitCode: 1 });
    const result = await exec.run({
      command: 'ipset',
      args: ['test', 's', '10.0.0.1'],
      allowedExitCodes: [1],
    });
    expect(result.exitCode).to.equal(1);
  });

  it('failNext fails only the next matching call, then standing responses apply again', async () => {
    const exec = new RecordingExec()
      .respond('ipset', { stdout: 'ok' })
      .failNext('ipset restore', { stderr: 'busy' });
    expect((await exec.run({ command: 'ipset', args: ['list'] })).stdout).to.equal('ok');
    const error = await rejection(exec.run({ command: 'ipset', args: ['restore'] }));
    expect(error.result).to.deep.equal({ exitCode: 1, stdout: '', stderr: 'busy' });
    expect((await exec.run({ command: 'ipset', args: ['restore'] })).stdout).to.equal('ok');
  });

  it('queues several failNext responses, oldest first', async () => {
    const exec = new RecordingExec().failNext('ip', { exitCode: 2 }).failNext('ip', { exitCode: 3 });
    expect((await rejection(exec.run({ command: 'ip', args: [] }))).result?.exitCode).to.equal(2);
    expect((await rejection(exec.run({ command: 'ip', args: [] }))).result?.exitCode).to.equal(3);
    expect((await exec.run({ command: 'ip', args: [] })).exitCode).to.equal(0);
  });

  it('rejects a request whose signal is already aborted, and still records it', async () => {
    const exec = new RecordingExec();
    const error = await rejection(exec.run({ command: 'ip', args: ['link'], signal: AbortSignal.abort() }));
    expect(error.message).to.equal('ip link: aborted');
    expect(exec.commandLines()).to.deep.equal(['ip link']);
  });

  it('finds calls by matcher and forgets calls on clearCalls', async () => {
    const exec = new RecordingExec();
    await exec.run({ command: 'ipset', args: ['restore'], input: 'a' });
    await exec.run({ command: 'ip', args: ['rule'] });
    await exec.run({ command: 'ipset', args: ['restore'], input: 'b' });
    expect(exec.callsMatching('ipset restore').map((call) => call.input)).to.deep.equal(['a', 'b']);
    exec.clearCalls();
    expect(exec.calls).to.deep.equal([]);
  });
});

describe('ManualClock', () => {
  it('starts at a fixed epoch and moves only when advanced', () => {
    const clock = new ManualClock();
    expect(clock.now()).to.equal(MANUAL_CLOCK_EPOCH_MS);
    clock.advance(1500);
    expect(clock.now()).to.equal(MANUAL_CLOCK_EPOCH_MS + 1500);
    clock.set(42);
    expect(clock.now()).to.equal(42);
  });

  it('refuses to move backwards through advance', () => {
    expect(() => new ManualClock(0).advance(-1)).to.throw(RangeError);
  });

  it('fires timers in due order as time passes, with the clock at their due time', () => {
    const clock = new ManualClock(0);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push(`b@${clock.monotonic()}`), 200);
    clock.setTimeout(() => {
      fired.push(`a@${clock.monotonic()}`);
      clock.setTimeout(() => fired.push(`c@${clock.monotonic()}`), 50); // due at 150, within the advance
    }, 100);
    const cancelled = clock.setTimeout(() => fired.push('never'), 150);
    cancelled.cancel();
    clock.advance(199);
    expect(fired).to.deep.equal(['a@100', 'c@150']);
    expect(clock.pendingTimers).to.equal(1);
    clock.advance(1);
    expect(fired).to.deep.equal(['a@100', 'c@150', 'b@200']);
    expect(clock.now()).to.equal(200);
  });

  it('lets promise callbacks run between timers with advanceAsync', async () => {
    const clock = new ManualClock(0);
    const seen: number[] = [];
    const loop = async (): Promise<void> => {
      for (let i = 0; i < 3; i++) {
        await new Promise<void>((resolve) => clock.setTimeout(resolve, 100));
        seen.push(clock.monotonic());
      }
    };
    const done = loop();
    await clock.advanceAsync(350);
    await done;
    expect(seen).to.deep.equal([100, 200, 300]);
  });
});
