// The path a third-party backend takes, proven: the backend and the core are packed with `npm pack` (what a
// registry would serve), installed into a project outside the monorepo, and the installed CLI renders with
// the backend named by module and by path. Nothing here resolves through the workspace's symlinks.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { REPO_ROOT } from '../deploy/repo-root.js';

const run = promisify(execFile);
const BACKEND = '@egress-proxier/backend-iptables';

interface Manifest {
  name: string;
  dependencies?: Record<string, string>;
}

/** Workspace packages by name → folder. */
function workspacePackages(): Map<string, string> {
  const folders = [
    'core',
    'testing',
    'netlab',
    'backend-iptables',
    'backend-calico',
    'node-datapath',
    'conformance',
  ];
  const packages = new Map<string, string>();
  for (const folder of folders) {
    const dir = path.join(REPO_ROOT, 'packages', folder);
    try {
      const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as Manifest;
      packages.set(manifest.name, dir);
    } catch {
      // not in this checkout
    }
  }
  return packages;
}

/** `name` and the workspace packages it depends on at run time, transitively. */
function closure(name: string, packages: Map<string, string>, seen = new Set<string>()): Set<string> {
  const dir = packages.get(name);
  if (dir === undefined || seen.has(name)) return seen;
  seen.add(name);
  const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as Manifest;
  for (const dependency of Object.keys(manifest.dependencies ?? {})) closure(dependency, packages, seen);
  return seen;
}

describe('a backend installed from packed tarballs, outside the monorepo', function () {
  this.timeout(240_000);
  let project: string;

  before(async function () {
    project = mkdtempSync(path.join(tmpdir(), 'egress-third-party-'));
    const packages = workspacePackages();
    const tarballs: string[] = [];
    for (const name of closure(BACKEND, packages)) {
      const { stdout } = await run('npm', ['pack', '--silent', '--pack-destination', project], {
        cwd: packages.get(name),
      });
      tarballs.push(path.join(project, stdout.trim().split('\n').pop() as string));
    }
    writeFileSync(
      path.join(project, 'package.json'),
      JSON.stringify({ name: 'third-party-site', private: true, type: 'module' }),
    );
    // The npm cache holds every registry dependency after the repository's own `npm ci`.
    await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', ...tarballs], {
      cwd: project,
    });
  });

  after(() => {
    if (project) rmSync(project, { recursive: true, force: true });
  });

  async function render(backend: string): Promise<string> {
    const cli = path.join(project, 'node_modules/.bin/egress-proxier');
    const { stdout } = await run(
      cli,
      [
        'render',
        '-f',
        path.join(REPO_ROOT, 'examples/cluster.yaml'),
        '--node',
        'node-b',
        '--backend',
        backend,
      ],
      { cwd: project },
    );
    return stdout;
  }

  it('installs the core and the backend as packages, not as links into the repository', async () => {
    const { stdout } = await run('npm', ['ls', '--all', '--parseable'], { cwd: project });
    const installed = stdout.split('\n').filter((line) => line.includes('@egress-proxier'));
    expect(installed.length).to.be.at.least(2);
    for (const line of installed) expect(line.startsWith(project), line).to.equal(true);
  });

  it('renders with the backend named by its module name', async () => {
    const text = await render(BACKEND);
    expect(text).to.contain('iptables-restore');
  });

  it('renders with the backend named by its path', async () => {
    const text = await render(path.join(project, 'node_modules', BACKEND));
    expect(text).to.contain('iptables-restore');
  });
});
