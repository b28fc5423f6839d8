// The built-in backends are loaded by the same mechanism as third-party ones; every one this repository
// ships must pass the loader's checks, and its flags must reach the CLI.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadProxierPlugin } from '@egress-proxier/core';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const cli = path.join(repo, 'packages/core/dist/src/cli/main.js');
const SHIPPED = ['iptables', 'calico'];

function help(args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(process.execPath, [cli, ...args, '--help'], (error, stdout, stderr) =>
      error ? reject(new Error(stderr)) : resolve(stdout),
    ),
  );
}

describe('built-in backends', () => {
  for (const name of SHIPPED) {
    it(`loads ${name} through the plugin loader`, async () => {
      const plugin = await loadProxierPlugin(name);
      expect(plugin.name).to.equal(name);
    });
  }

  it('lists a backend’s own flags in --help of run, render, cleanup and preflight', async () => {
    for (const command of ['run', 'render', 'cleanup', 'preflight']) {
      const text = await help([command, '--backend=iptables']);
      expect(text, command).to.contain('--iptables-uplink');
      expect(text, command).to.contain('--iptables-route-table-base');
    }
  });
});
