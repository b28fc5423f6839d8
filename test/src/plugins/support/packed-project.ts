// A project outside the monorepo with workspace packages installed from `npm pack` tarballs, as a registry
// would serve them: nothing in it resolves through the workspace's symlinks.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../../deploy/repo-root.js';

export const run = promisify(execFile);

interface Manifest {
  name: string;
  dependencies?: Record<string, string>;
}

/** Workspace packages by name → folder. */
function workspacePackages(): Map<string, string> {
  const packages = new Map<string, string>();
  for (const folder of readdirSync(path.join(REPO_ROOT, 'packages'))) {
    const dir = path.join(REPO_ROOT, 'packages', folder);
    try {
      const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as Manifest;
      packages.set(manifest.name, dir);
    } catch {
      // not a package
    }
  }
  return packages;
}

/** `names` and the workspace packages they depend on at run time, transitively. */
function closure(names: readonly string[], packages: Map<string, string>): Set<string> {
  const seen = new Set<string>();
  const visit = (name: string): void => {
    const dir = packages.get(name);
    if (dir === undefined || seen.has(name)) return;
    seen.add(name);
    const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as Manifest;
    for (const dependency of Object.keys(manifest.dependencies ?? {})) visit(dependency);
  };
  names.forEach(visit);
  return seen;
}

export interface PackedProject {
  dir: string;
  /** The installed `egress-proxier` CLI. */
  cli: string;
  remove(): void;
}

/** Packs `names` (and what they need from the workspace) and installs the tarballs into a fresh project. */
export async function packedProject(names: readonly string[]): Promise<PackedProject> {
  const dir = mkdtempSync(path.join(tmpdir(), 'egress-third-party-'));
  const packages = workspacePackages();
  const tarballs: string[] = [];
  for (const name of closure(names, packages)) {
    const { stdout } = await run('npm', ['pack', '--silent', '--pack-destination', dir], {
      cwd: packages.get(name),
    });
    tarballs.push(path.join(dir, stdout.trim().split('\n').pop() as string));
  }
  writeFileSync(
    path.join(dir, 'package.json'),
    JSON.stringify({ name: 'third-party-site', private: true, type: 'module' }),
  );
  // The npm cache holds every registry dependency after the repository's own `npm ci`.
  await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', ...tarballs], { cwd: dir });
  return {
    dir,
    cli: path.join(dir, 'node_modules/.bin/egress-proxier'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
