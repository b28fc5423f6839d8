// `egress-proxier preflight` as a user runs it: the compiled CLI with a fixture backend whose preflight
// probes a real command (through the production Exec), so a missing one is really missing.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const cli = path.join(repo, 'packages/core/dist/src/cli/main.js');
const fixture = './packages/core/test/fixtures/preflight-plugin.mjs';
const withoutPreflight = './packages/core/test/fixtures/valid-plugin.mjs';
const MISSING = 'egress-proxier-test-no-such-tool';

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, ...args], { cwd: repo }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('egress-proxier preflight (CLI)', function () {
  this.timeout(20_000);

  it('prints a passing table and exits 0', async () => {
    const result = await run(['preflight', '--backend', fixture]);
    expect(result.code, result.stderr).to.equal(0);
    expect(result.stdout).to.equal(
      [
        'Preflight of backend preflight-fixture: passed (1 check)',
        '',
        'CHECK         RESULT  DETAIL',
        `command node  ok      ${process.version}`,
        '',
      ].join('\n'),
    );
    expect(result.stderr).to.equal('');
  });

  it('exits 1 on a failed check, with what it found and the remedy under it', async () => {
    const result = await run(['preflight', '--backend', fixture, `--preflight-fixture-tool=${MISSING}`]);
    expect(result.code).to.equal(1);
    const name = `command ${MISSING}`;
    const detail = `${MISSING} --version: command not found: ${MISSING} (is the package installed?)`;
    expect(result.stdout).to.equal(
      [
        'Preflight of backend preflight-fixture: FAILED (1 of 1 checks): egress-proxier run would refuse to start',
        '',
        `${'CHECK'.padEnd(name.length)}  RESULT  DETAIL`,
        `${name}  FAIL    ${detail}`,
        `${''.padEnd(name.length)}  ${''.padEnd(6)}  → install ${MISSING}`,
        '',
      ].join('\n'),
    );
    // The failure is the report, not a log line: the default log level keeps stderr quiet.
    expect(result.stderr).to.equal('');
  });

  it('a failed warning is reported and still exits 0', async () => {
    const result = await run([
      'preflight',
      '--backend',
      fixture,
      `--preflight-fixture-optional-tool=${MISSING}`,
    ]);
    expect(result.code).to.equal(0);
    expect(result.stdout).to.match(
      /^Preflight of backend preflight-fixture: passed \(2 checks, 1 warning\)\n/,
    );
    expect(result.stdout).to.match(new RegExp(`command ${MISSING} +warning +${MISSING} --version`));
  });

  it('-o json: the outcome as data, with the exit code of the verdict', async () => {
    const result = await run([
      'preflight',
      '--backend',
      fixture,
      '-o',
      'json',
      `--preflight-fixture-tool=${MISSING}`,
    ]);
    expect(result.code).to.equal(1);
    expect(JSON.parse(result.stdout)).to.deep.equal({
      backend: 'preflight-fixture',
      declared: true,
      ok: false,
      checks: [
        {
          name: `command ${MISSING}`,
          ok: false,
          detail: `${MISSING} --version: command not found: ${MISSING} (is the package installed?)`,
          remedy: `install ${MISSING}`,
          severity: 'error',
        },
      ],
    });
  });

  it('a backend without preflight: says so and exits 0', async () => {
    const table = await run(['preflight', '--backend', withoutPreflight]);
    expect(table.code).to.equal(0);
    expect(table.stdout).to.equal(
      'Backend fixture-backend declares no preflight checks: nothing to check (run starts without them).\n',
    );
    const json = await run(['preflight', '--backend', withoutPreflight, '-o', 'json']);
    expect(JSON.parse(json.stdout)).to.deep.equal({
      backend: 'fixture-backend',
      declared: false,
      checks: [],
      ok: true,
    });
  });

  it('a backend that cannot be loaded: exit 1 with the reason', async () => {
    const result = await run(['preflight', '--backend', './no-such-backend.mjs']);
    expect(result.code).to.equal(1);
    expect(result.stderr).to.include('module ./no-such-backend.mjs not found');
  });

  it('--help explains the verdicts and the exit codes, and lists the backend’s options', async () => {
    const result = await run(['preflight', '--backend', fixture, '--help']);
    expect(result.code).to.equal(0);
    expect(result.stdout)
      .to.include('Check that this host has the tools and kernel features the backend needs')
      .and.include('--preflight-fixture-tool')
      .and.include('FAIL (run refuses to start, with the same reason)')
      .and.include('Exit code: 0 when no check failed')
      .and.not.include('--dry-run');
    const runHelp = await run(['run', '--help']);
    expect(runHelp.stdout).to.include('run runs the backend’s preflight checks');
  });
});
