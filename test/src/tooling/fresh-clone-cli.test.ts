// The README's CLI works on a fresh clone: `npm ci` links the egress-proxier bin before anything is built (npm
// skips a bin whose file does not exist yet, and `npx egress-proxier` then asked the npm registry), the
// launcher says what to do until `npm run build` has run, and runs the CLI after. The clone is of this
// repository's HEAD; npm ci runs offline from the cache the setup's own `npm ci` filled.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { REPO_ROOT } from '../deploy/repo-root.js';

const execFileAsync = promisify(execFile);

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(command: string, args: string[], cwd: string): Promise<Outcome> {
  try {
    const { stdout, stderr } = await execFileAsync(command, args, { cwd, maxBuffer: 16 << 20 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number | string; stdout?: string; stderr?: string };
    if (typeof failed.code === 'string')
      throw new Error(`${command} is needed for this test and could not be run: ${failed.code}`, {
        cause: error,
      });
    return { code: failed.code ?? 1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

async function mustRun(command: string, args: string[], cwd: string): Promise<Outcome> {
  const outcome = await run(command, args, cwd);
  if (outcome.code !== 0)
    throw new Error(`${command} ${args.join(' ')} failed (${outcome.code}): ${outcome.stderr.slice(-2000)}`);
  return outcome;
}

describe('the CLI on a fresh clone', function () {
  // npm ci of ~500 packages from the cache and tsc of one package: about a minute idle, three under load.
  this.timeout(300_000);
  let parent: string;
  let clone: string;

  before(async () => {
    if (!existsSync(join(REPO_ROOT, '.git')))
      throw new Error(`${REPO_ROOT} is not a git checkout: this test clones it`);
    parent = await mkdtemp(join(tmpdir(), 'egp-fresh-clone-'));
    clone = join(parent, 'repo');
    await mustRun('git', ['clone', '--quiet', REPO_ROOT, clone], parent);
    await mustRun('npm', ['ci', '--offline', '--no-audit', '--no-fund', '--ignore-scripts'], clone);
  });

  after(async () => {
    if (parent !== undefined) await rm(parent, { recursive: true, force: true });
  });

  it('npm ci links the bin to the committed launcher, not into dist/', async () => {
    const link = join(clone, 'node_modules/.bin/egress-proxier');
    expect(existsSync(link), `${link} after npm ci`).to.equal(true);
    expect(await readlink(link)).to.equal('../@egress-proxier/core/bin/egress-proxier.js');
  });

  it('before the build, npx egress-proxier says to build instead of asking the registry', async () => {
    const outcome = await run('npx', ['--no-install', 'egress-proxier', 'version'], clone);
    expect(outcome.code).to.equal(1);
    expect(outcome.stderr).to.contain('egress-proxier is not built yet: run `npm run build`');
  });

  it('after the build, npx egress-proxier runs the CLI', async () => {
    await mustRun('npx', ['tsc', '-b', 'packages/core'], clone);
    const version = await mustRun('npx', ['--no-install', 'egress-proxier', 'version'], clone);
    expect(version.stdout).to.match(/^egress-proxier \d+\.\d+\.\d+ \(node v/);
    const help = await mustRun('npx', ['--no-install', 'egress-proxier', '--help'], clone);
    expect(help.stdout).to.contain('egress-proxier <command> [options]');
    expect(help.stdout).to.contain('render');
  });
});
