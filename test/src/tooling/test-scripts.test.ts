// The repository's test commands work as the README and package.json say: every mocha config a script
// names exists, and `npm run test:unit` selects the tests that need no root (and only those).
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { REPO_ROOT } from '../deploy/repo-root.js';

const run = promisify(execFile);
const scripts = (
  JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
).scripts;

/** Files a real-kernel or netns suite lives in: they need root and kernel tools. */
const ROOT_ONLY = /\/(kernel-[^/]*|lab|iptables-agent|demo|disruption[^/]*)\.test\.js$|\/dist\/disruption\//;

describe('test scripts', function () {
  this.timeout(60_000);

  it('every mocha --config a script names exists', () => {
    const configs = Object.values(scripts).flatMap((command) =>
      [...command.matchAll(/--config (\S+)/g)].map((m) => m[1]),
    );
    expect(configs.length, 'scripts that name a config').to.be.greaterThan(0);
    for (const config of configs)
      expect(existsSync(join(REPO_ROOT, config as string)), config).to.equal(true);
  });

  it('test:unit selects the tests that need no root, and no real-kernel suite', async () => {
    const config = /--config (\S+)/.exec(scripts['test:unit'] ?? '')?.[1] ?? '';
    const listed = await run(
      process.execPath,
      [
        join(REPO_ROOT, 'node_modules/mocha/bin/mocha.js'),
        '--config',
        config,
        '--dry-run',
        '--reporter',
        'json',
      ],
      { cwd: REPO_ROOT, maxBuffer: 64 * 1024 * 1024 },
    );
    const report = JSON.parse(listed.stdout) as { tests: { file: string }[] };
    const files = [...new Set(report.tests.map((test) => test.file))];
    expect(report.tests.length, 'unit tests').to.be.greaterThan(300);
    expect(
      files.filter((file) => ROOT_ONLY.test(file)),
      'root-only suites in test:unit',
    ).to.deep.equal([]);
    expect(files.some((file) => file.endsWith('build-node-table.test.js'))).to.equal(true);
  });
});
