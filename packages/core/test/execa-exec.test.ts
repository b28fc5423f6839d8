// ExecaExec against real programs: exit codes, stdin, timeouts, aborts and missing commands.
import { expect } from 'chai';
import pino from 'pino';
import { Writable } from 'node:stream';
import { ExecaExec } from '../src/exec/execa-exec.js';
import { ExecError, type ExecRequest } from '../src/exec/exec.js';

interface LogLine {
  level: number;
  msg: string;
  command?: string;
  args?: string[];
  durationMs?: number;
  exitCode?: number;
  inputBytes?: number;
  input?: string;
}

function capturingLogger(): { logger: pino.Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const text of chunk.toString().split('\n'))
        if (text !== '') lines.push(JSON.parse(text) as LogLine);
      callback();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), lines };
}

async function rejection(promise: Promise<unknown>): Promise<ExecError> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(ExecError);
    return error as ExecError;
  }
  throw new Error('expected the command to fail');
}

describe('ExecaExec', () => {
  it('returns exit code 0 and the exact output of a successful command', async () => {
    const { logger } = capturingLogger();
    const result = await new ExecaExec(logger).run({ command: 'printf', args: ['a b\n'] });
    expect(result).to.deep.equal({ exitCode: 0, stdout: 'a b\n', stderr: '' });
  });

  it('passes arguments without a shell', async () => {
    const { logger } = capturingLogger();
    const result = await new ExecaExec(logger).run({
      command: 'printf',
      args: ['%s|', '$(echo hi)', '; true', '*'],
    });
    expect(result.stdout).to.equal('$(echo hi)|; true|*|');
  });

  it('writes input to stdin', async () => {
    const { logger } = capturingLogger();
    const input = 'add set 10.244.0.1\nadd set 10.244.0.2\n';
    const result = await new ExecaExec(logger).run({ command: 'cat', args: [], input });
    expect(result.stdout).to.equal(input);
  });

  it('closes stdin when there is no input, so readers see EOF', async () => {
    const { logger } = capturingLogger();
    const result = await new ExecaExec(logger).run({ command: 'cat', args: [], timeoutMs: 5_000 });
    expect(result.stdout).to.equal('');
  });

  it('throws an ExecError with the exit code and stderr for a non-zero exit', async () => {
    const { logger, lines } = capturingLogger();
    const request: ExecRequest = { command: 'sh', args: ['-c', 'echo "line 3: bad rule" >&2; exit 2'] };
    const error = await rejection(new ExecaExec(logger).run(request));
    expect(error.result).to.deep.equal({ exitCode: 2, stdout: '', stderr: 'line 3: bad rule\n' });
    expect(error.message).to.equal(
      'sh -c echo "line 3: bad rule" >&2; exit 2: exit code 2: line 3: bad rule',
    );
    expect(lines.filter((line) => line.level === 40).map((line) => line.msg)).to.deep.equal(['exec failed']);
  });

  it('treats `false` as a failure', async () => {
    const { logger } = capturingLogger();
    const error = await rejection(new ExecaExec(logger).run({ command: 'false', args: [] }));
    expect(error.result?.exitCode).to.equal(1);
  });

  it('returns an allowed non-zero exit code as an answer', async () => {
    const { logger, lines } = capturingLogger();
    const result = await new ExecaExec(logger).run({ command: 'false', args: [], allowedExitCodes: [1] });
    expect(result.exitCode).to.equal(1);
    expect(lines.some((line) => line.level >= 40)).to.equal(false);
  });

  it('kills a command that outlives its timeout', async () => {
    const { logger } = capturingLogger();
    const started = Date.now();
    const error = await rejection(
      new ExecaExec(logger).run({ command: 'sleep', args: ['5'], timeoutMs: 100 }),
    );
    expect(error.message).to.match(/^sleep 5: timed out after 100 ms; killed with SIGTERM$/);
    // The process was killed rather than awaited: far less than its 5 s.
    expect(Date.now() - started).to.be.below(4_000);
  });

  it('kills a command when its signal aborts', async () => {
    const { logger } = capturingLogger();
    const controller = new AbortController();
    const running = new ExecaExec(logger).run({ command: 'sleep', args: ['5'], signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    const error = await rejection(running);
    expect(error.message).to.equal('sleep 5: aborted');
  });

  it('does not start a command whose signal is already aborted', async () => {
    const { logger } = capturingLogger();
    const error = await rejection(
      new ExecaExec(logger).run({ command: 'sh', args: ['-c', 'exit 0'], signal: AbortSignal.abort() }),
    );
    expect(error.message).to.equal('sh -c exit 0: aborted');
  });

  it('says clearly when the program is not installed', async () => {
    const { logger } = capturingLogger();
    const error = await rejection(
      new ExecaExec(logger).run({ command: 'egress-proxier-no-such-tool', args: ['-x'] }),
    );
    expect(error.message).to.equal(
      'egress-proxier-no-such-tool -x: command not found: egress-proxier-no-such-tool (is the package installed?)',
    );
    expect(error.result).to.equal(undefined);
  });

  it('logs each command at debug with its duration, exit code and input size but not the input', async () => {
    const { logger, lines } = capturingLogger();
    await new ExecaExec(logger).run({ command: 'cat', args: ['-'], input: 'secret-ish payload' });
    const debug = lines.filter((line) => line.level === 20);
    expect(debug).to.have.length(1);
    expect(debug[0]).to.include({ msg: 'exec', command: 'cat', exitCode: 0, inputBytes: 18 });
    expect(debug[0]?.args).to.deep.equal(['-']);
    expect(debug[0]?.durationMs).to.be.a('number');
    expect(JSON.stringify(lines)).not.to.contain('secret-ish');
  });
});
