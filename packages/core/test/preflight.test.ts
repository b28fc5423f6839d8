// Preflight as the core judges it: what a backend's report (or its failure to give one) means for the start,
// and the command probe backends build their checks from, through the Exec seam.
import { expect } from 'chai';
import { silentLogger } from '../src/logging/logger.js';
import {
  PreflightFailedError,
  commandCheck,
  preflightFailureMessage,
  runPreflight,
  type PreflightOutcome,
} from '../src/plugin/preflight.js';
import type { NodeProxierPlugin, PreflightReport, ProxierContext } from '../src/plugin/proxier.js';
import { ManualClock } from '../src/testing/manual-clock.js';
import { RecordingExec } from '../src/testing/recording-exec.js';

function contextWith(exec = new RecordingExec(), clock = new ManualClock()): ProxierContext {
  return { nodeName: 'node-a', exec, logger: silentLogger(), clock, options: { tool: 'ipset' } };
}

function pluginWith(preflight?: NodeProxierPlugin['preflight']): NodeProxierPlugin {
  return {
    name: 'fixture',
    description: 'test',
    scope: 'node',
    capabilities: [],
    create: () => ({ sync: async () => ({ changed: false }), cleanup: async () => undefined }),
    render: () => ({ sections: [] }),
    ...(preflight ? { preflight } : {}),
  };
}

interface Case {
  name: string;
  /** What the backend's preflight does. */
  preflight: NodeProxierPlugin['preflight'];
  ok: boolean;
  /** The judged checks as [name, ok, severity], in order. */
  checks: [string, boolean, 'error' | 'warning'][];
  /** Substring of the first check's detail. */
  detail?: string;
}

const report = (checks: unknown[]): Promise<PreflightReport> =>
  Promise.resolve({ checks } as unknown as PreflightReport);

const cases: Case[] = [
  {
    name: 'every check passes',
    preflight: () =>
      report([
        { name: 'ipset', ok: true, detail: 'v7.19' },
        { name: 'ip', ok: true },
      ]),
    ok: true,
    checks: [
      ['ipset', true, 'error'],
      ['ip', true, 'error'],
    ],
    detail: 'v7.19',
  },
  {
    name: 'a failed check stops the start',
    preflight: () =>
      report([
        { name: 'ipset', ok: false, detail: 'not found', remedy: 'install ipset' },
        { name: 'ip', ok: true },
      ]),
    ok: false,
    checks: [
      ['ipset', false, 'error'],
      ['ip', true, 'error'],
    ],
  },
  {
    name: 'a failed warning does not',
    preflight: () =>
      report([{ name: 'rp_filter', ok: false, severity: 'warning', detail: 'strict on eth0' }]),
    ok: true,
    checks: [['rp_filter', false, 'warning']],
  },
  {
    name: 'a preflight that rejects is one failed check',
    preflight: () => Promise.reject(new Error('cannot read /proc/modules')),
    ok: false,
    checks: [['preflight', false, 'error']],
    detail: "the backend's preflight failed: cannot read /proc/modules",
  },
  {
    name: 'a preflight that throws before returning a promise',
    preflight: () => {
      throw new TypeError('options.tool is undefined');
    },
    ok: false,
    checks: [['preflight', false, 'error']],
    detail: 'options.tool is undefined',
  },
  {
    name: 'a report without a list of checks',
    preflight: () => Promise.resolve(undefined as unknown as PreflightReport),
    ok: false,
    checks: [['preflight report', false, 'error']],
    detail: 'returned no list of checks',
  },
  {
    name: 'a malformed check fails in its place, the others stay',
    preflight: () =>
      report([
        { name: 'ipset', ok: 'yes' },
        { name: 'ip', ok: true },
      ]),
    ok: false,
    checks: [
      ['preflight report', false, 'error'],
      ['ip', true, 'error'],
    ],
    detail: 'checks[0]: ipset: ok must be true or false',
  },
  {
    name: 'an unknown severity is malformed',
    preflight: () => report([{ name: 'ipset', ok: false, severity: 'info' }]),
    ok: false,
    checks: [['preflight report', false, 'error']],
    detail: 'severity must be "error" or "warning"',
  },
  {
    name: 'an empty report passes',
    preflight: () => report([]),
    ok: true,
    checks: [],
  },
];

describe('runPreflight', () => {
  for (const testCase of cases) {
    it(testCase.name, async () => {
      const outcome = await runPreflight(pluginWith(testCase.preflight), contextWith());
      expect(outcome.declared).to.equal(true);
      expect(outcome.ok, JSON.stringify(outcome)).to.equal(testCase.ok);
      expect(outcome.checks.map((c) => [c.name, c.ok, c.severity])).to.deep.equal(testCase.checks);
      if (testCase.detail) expect(outcome.checks[0]?.detail).to.include(testCase.detail);
    });
  }

  it('a plugin without preflight: nothing declared, nothing checked, the start goes on', async () => {
    expect(await runPreflight(pluginWith(), contextWith())).to.deep.equal({
      backend: 'fixture',
      declared: false,
      checks: [],
      ok: true,
    });
  });

  it('gives the preflight the context it was run with', async () => {
    let seen: ProxierContext | undefined;
    const context = contextWith();
    await runPreflight(
      pluginWith(async (given) => ((seen = given), { checks: [] })),
      context,
    );
    expect(seen).to.equal(context);
  });

  it('gives up on a preflight that hangs, on the context clock, and aborts its signal', async () => {
    const clock = new ManualClock();
    let signal: AbortSignal | undefined;
    const running = runPreflight(
      pluginWith((_context, given) => ((signal = given), new Promise(() => undefined))),
      contextWith(new RecordingExec(), clock),
      { timeoutMs: 5_000 },
    );
    clock.advance(4_999);
    await Promise.resolve();
    expect(signal?.aborted).to.equal(false);
    clock.advance(1);
    const outcome = await running;
    expect(signal?.aborted).to.equal(true);
    expect(outcome.ok).to.equal(false);
    expect(outcome.checks[0]?.detail).to.equal('did not finish within 5 s');
    expect(clock.pendingTimers).to.equal(0);
  });

  it('stops waiting when the caller aborts (the agent is stopping)', async () => {
    const stopping = new AbortController();
    const running = runPreflight(
      pluginWith(() => new Promise(() => undefined)),
      contextWith(),
      { signal: stopping.signal },
    );
    stopping.abort();
    const outcome = await running;
    expect(outcome.ok).to.equal(false);
    expect(outcome.checks[0]?.detail).to.equal('aborted: the agent is stopping');
  });
});

describe('preflightFailureMessage and PreflightFailedError', () => {
  it('name every blocking check with what was found and what to do, and leave out the rest', () => {
    const outcome: PreflightOutcome = {
      backend: 'iptables',
      declared: true,
      ok: false,
      checks: [
        { name: 'iptables-restore', ok: true, detail: 'v1.8.9', severity: 'error' },
        { name: 'ipset', ok: false, detail: 'command not found', remedy: 'install ipset', severity: 'error' },
        { name: 'rp_filter', ok: false, detail: 'strict', severity: 'warning' },
        { name: 'xt_mark', ok: false, severity: 'error' },
      ],
    };
    const expected =
      'preflight of backend iptables failed (2 of 4 checks): ipset: command not found → install ipset; xt_mark: failed';
    expect(preflightFailureMessage(outcome)).to.equal(expected);
    const error = new PreflightFailedError(outcome);
    expect(error.message).to.equal(expected);
    expect(error.name).to.equal('PreflightFailedError');
    expect(error.outcome).to.equal(outcome);
  });
});

describe('commandCheck', () => {
  const spec = { name: 'ipset', command: 'ipset', args: ['--version'], remedy: 'install the ipset package' };

  it('passes a command that exits 0, with the first line of its output as detail', async () => {
    const exec = new RecordingExec().respond('ipset --version', {
      stdout: '\nipset v7.19, protocol version: 7\nmore\n',
    });
    expect(await commandCheck(exec, spec)).to.deep.equal({
      name: 'ipset',
      ok: true,
      detail: 'ipset v7.19, protocol version: 7',
    });
    expect(exec.calls[0]).to.include({ command: 'ipset', timeoutMs: 10_000 });
  });

  it('takes the detail from stderr when stdout is empty (tools that print versions there)', async () => {
    const exec = new RecordingExec().respond('ipset', { stderr: 'ipset v6\n' });
    expect((await commandCheck(exec, spec)).detail).to.equal('ipset v6');
  });

  it('fails a command that exits non-zero, with the exit code, stderr and the remedy', async () => {
    const exec = new RecordingExec().respond('ipset', { exitCode: 2, stderr: 'Kernel error received' });
    expect(await commandCheck(exec, { ...spec, severity: 'warning' })).to.deep.equal({
      name: 'ipset',
      ok: false,
      detail: 'ipset --version: exit code 2: Kernel error received',
      remedy: 'install the ipset package',
      severity: 'warning',
    });
  });

  it('fails a command that cannot run at all', async () => {
    const exec = { run: () => Promise.reject(new Error('spawn EPERM')) };
    expect(await commandCheck(exec, spec)).to.include({
      ok: false,
      detail: 'could not run ipset: spawn EPERM',
    });
  });

  it('lets the backend judge the output (e.g. a version too old)', async () => {
    const exec = new RecordingExec().respond('ipset', { stdout: 'ipset v6.0\n' });
    const accept = (result: { stdout: string }): true | string =>
      result.stdout.startsWith('ipset v7') ? true : `${result.stdout.trim()} is older than 7`;
    expect(await commandCheck(exec, { ...spec, accept })).to.include({
      ok: false,
      detail: 'ipset v6.0 is older than 7',
    });
  });
});
