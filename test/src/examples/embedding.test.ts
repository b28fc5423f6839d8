// The embedding example (examples/embedding/print-node-table.mjs) runs as a user would run it, imports only
// the core's library entry, and prints what the core decides for each node.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { REPO_ROOT } from '../deploy/repo-root.js';

const run = promisify(execFile);
const EXAMPLE = join(REPO_ROOT, 'examples/embedding/print-node-table.mjs');

describe('examples: embedding the core', function () {
  this.timeout(30_000);

  it('imports nothing but the core library entry', () => {
    const imports = [...readFileSync(EXAMPLE, 'utf8').matchAll(/^import .* from '([^']+)';$/gm)].map((m) => m[1]);
    expect(imports).to.deep.equal(['@egress-proxier/core']);
  });

  it('prints a source node that steers to the gateway, except for the excluded half', async () => {
    const { stdout } = await run(process.execPath, [EXAMPLE, 'node-1'], { cwd: REPO_ROOT });
    expect(stdout).to.contain('egress table of node-1: 1 rule(s), 0 hosted egress IP(s)');
    expect(stdout).to.contain(
      'checkout-to-payments: 10.244.1.5 → 203.0.113.0/24 except 203.0.113.128/25: steer to node-2 for 192.0.2.100',
    );
    expect(stdout).to.contain('10.244.1.5 → 203.0.113.128/25: no rule');
  });

  it('prints the gateway node hosting the egress IP and SNATing both pods', async () => {
    const { stdout } = await run(process.execPath, [EXAMPLE, 'node-2'], { cwd: REPO_ROOT });
    expect(stdout).to.contain('  hosts 192.0.2.100');
    expect(stdout).to.contain('10.244.1.5, 10.244.2.7 → 203.0.113.0/24 except 203.0.113.128/25: snat to 192.0.2.100');
    expect(stdout).to.contain('longest-prefix form: 4 entries');
  });
});
