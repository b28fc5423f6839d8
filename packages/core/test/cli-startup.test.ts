// The CLI loads only what the command it runs needs: `version` and `--help` start without the kube client,
// the composition root, the logger or the metrics library (most of a second of start-up), which the
// commands that run an agent or a backend import from their handlers (cli/command-runtime.ts).
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const printLoads = path.resolve(here, '../../test/fixtures/print-cli-loads.mjs');
const HEAVY = ['@kubernetes/client-node', 'inversify', 'pino', 'prom-client', 'execa'];

describe('egress-proxier start-up', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'egress-cli-loads-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** The packages (under node_modules) that the CLI loaded to run ARGS. */
  async function packagesLoaded(args: string[]): Promise<Set<string>> {
    const log = path.join(dir, 'loaded.txt');
    await new Promise<void>((resolve, reject) =>
      execFile(process.execPath, [printLoads, log, ...args], (error, _stdout, stderr) =>
        error ? reject(new Error(`${args.join(' ')}: ${stderr}`)) : resolve(),
      ),
    );
    const packages = readFileSync(log, 'utf8')
      .split('\n')
      .map((url) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1])
      .filter((name): name is string => name !== undefined);
    return new Set(packages);
  }

  for (const args of [['version'], ['--help'], ['run', '--help'], ['render', '--help']]) {
    it(`\`${args.join(' ')}\` loads none of ${HEAVY.join(', ')}`, async () => {
      const loaded = await packagesLoaded(args);
      expect(loaded).to.include('yargs'); // the recording works
      expect(HEAVY.filter((name) => loaded.has(name))).to.deep.equal([]);
    });
  }

  it('`render` loads the YAML parser it reads files with, and still none of them', async () => {
    const file = path.join(dir, 'ns.yaml');
    writeFileSync(file, 'apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n');
    const loaded = await packagesLoaded(['render', '-f', file]);
    expect(loaded).to.include('js-yaml');
    expect(HEAVY.filter((name) => loaded.has(name))).to.deep.equal([]);
  });
});
