// `@egress-proxier/core/plugin` is narrow for real: imported by package name in a fresh Node process, with
// module hooks that record every module loaded, it pulls in none of the agent's machinery. The same probe on
// the main entry must find all of it, so a probe that stopped seeing modules would fail here too.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as main from '../src/index.js';
import * as entry from '../src/plugin/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixtures = path.resolve(here, '../../test/fixtures');
const coreSrc = pathToFileURL(realpathSync(path.resolve(here, '../src'))).href + '/';

/** What must not load with the plugin entry: [what it is, does this module URL belong to it]. */
const FORBIDDEN: [string, (url: string) => boolean][] = [
  ['the Kubernetes client', (url) => url.includes('/node_modules/@kubernetes/client-node/')],
  ['inversify', (url) => /\/node_modules\/(inversify|@inversifyjs\/[^/]+)\//.test(url)],
  ['yargs', (url) => /\/node_modules\/yargs(-parser)?\//.test(url)],
  [
    'execa (a backend runs commands through the Exec it is given)',
    (url) => url.includes('/node_modules/execa/'),
  ],
  ['prom-client', (url) => url.includes('/node_modules/prom-client/')],
  ['pino (a backend logs through the logger it is given)', (url) => url.includes('/node_modules/pino/')],
  ...['agent', 'cli', 'kube', 'composition', 'fencing', 'observability', 'logging'].map(
    (dir): [string, (url: string) => boolean] => [
      `core's ${dir}/`,
      (url) => url.startsWith(`${coreSrc}${dir}/`),
    ],
  ),
];

/** The URLs of every module a fresh process loads to import `specifier` (resolved as a dependent would). */
function modulesLoadedBy(specifier: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [path.join(fixtures, 'print-loaded-modules.mjs'), specifier],
      { maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`importing ${specifier} failed: ${stderr || error.message}`));
        else resolve(JSON.parse(stdout) as string[]);
      },
    );
  });
}

function forbiddenIn(loaded: string[]): Record<string, string[]> {
  const found: Record<string, string[]> = {};
  for (const [what, matches] of FORBIDDEN) {
    const urls = loaded.filter(matches);
    if (urls.length > 0) found[what] = urls.slice(0, 3);
  }
  return found;
}

describe('@egress-proxier/core/plugin (the backend authors’ entry)', function () {
  this.timeout(30_000);

  it('loads none of the agent, the Kubernetes client, inversify, yargs or the CLI', async () => {
    const loaded = await modulesLoadedBy('@egress-proxier/core/plugin');
    // The probe saw the entry and the contract (resolved through package.json `exports`).
    expect(loaded).to.include(`${coreSrc}plugin/index.js`).and.include(`${coreSrc}plugin/proxier.js`);
    expect(forbiddenIn(loaded), `${loaded.length} modules loaded; of them`).to.deep.equal({});
  });

  it('the same probe finds all of them behind the main entry (the probe is not blind)', async () => {
    const found = Object.keys(forbiddenIn(await modulesLoadedBy('@egress-proxier/core')));
    for (const what of ['the Kubernetes client', 'inversify', "core's agent/", "core's cli/", "core's kube/"])
      expect(found).to.include(what);
    // yargs comes only with the CLI's main module, which no entry imports: probe it directly.
    expect(Object.keys(forbiddenIn(await modulesLoadedBy('yargs')))).to.deep.equal(['yargs']);
  });

  it('exports the contract and its helpers as the very objects of the main entry', () => {
    const names = [
      'createProxierPlugin',
      'SyncFailedError',
      'ALL_CAPABILITIES',
      'validateProxierPlugin',
      'commandCheck',
      'runPreflight',
      'PreflightFailedError',
      'ExecError',
      'DEFAULT_EXEC_TIMEOUT_MS',
      'assertAllowedExitCode',
      'systemClock',
      'sleepOn',
      'emptyNodeEgressTable',
      'tableDigest',
      'compileLongestPrefixTable',
      'lookupLongestPrefix',
      'parseCidr',
      'cidrContainsIP',
      'ipFamily',
      'CidrSet',
      'compileLabelSelector',
    ] as const;
    const plugin = entry as unknown as Record<string, unknown>;
    const full = main as unknown as Record<string, unknown>;
    for (const name of names) {
      expect(plugin[name], name).to.not.equal(undefined);
      // One class, one identity: `instanceof SyncFailedError` in the agent holds for a backend's throw.
      expect(plugin[name], name).to.equal(full[name]);
    }
    expect(Object.keys(plugin)).to.not.include.members([
      'Agent',
      'loadProxierPlugin',
      'KubeClient',
      'ExecaExec',
    ]);
  });
});
