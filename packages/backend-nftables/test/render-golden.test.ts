// `egress-proxier render --backend nftables` over examples/ (the CLI, as a user runs it), against golden files in
// test/golden/; UPDATE_GOLDEN=1 rewrites them. The packet path the script describes is proven on the kernel
// (kernel-conformance.test.ts, kernel-coexistence.test.ts); this pins down the exact table, routes and addresses.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';

const REPO = fileURLToPath(new URL('../../../../', import.meta.url));
const CLI = fileURLToPath(new URL('../../../core/dist/src/cli/main.js', import.meta.url));
const GOLDEN = new URL('../../test/golden/', import.meta.url);

const cases: { name: string; node: string; flags: string[] }[] = [
  { name: 'source-node-onlink', node: 'node-a', flags: ['--nftables-uplink', 'eth0'] },
  {
    name: 'source-node-vxlan',
    node: 'node-a',
    flags: ['--nftables-uplink', 'eth0', '--nftables-steering', 'vxlan'],
  },
  { name: 'gateway-node-onlink', node: 'node-b', flags: ['--nftables-uplink', 'ens5'] },
  {
    name: 'custom-mark-uplink-unset',
    node: 'node-c',
    flags: ['--nftables-mark', '0x1000000', '--nftables-mask', '0x3f000000'],
  },
];

function render(node: string, flags: readonly string[]): string {
  const args = ['render', '-f', 'examples/', '--node', node, '--backend', 'nftables', ...flags];
  const cidrs = ['--cluster-cidr', '10.244.0.0/16', '--service-cidr', '10.96.0.0/12'];
  return execFileSync(process.execPath, [CLI, ...args, ...cidrs], { cwd: REPO, encoding: 'utf8' });
}

describe('nftables render (golden files, over examples/)', () => {
  for (const { name, node, flags } of cases) {
    it(`renders ${name}`, function () {
      this.timeout(30_000);
      const actual = render(node, flags);
      const path = fileURLToPath(new URL(`${name}.txt`, GOLDEN));
      if (process.env.UPDATE_GOLDEN === '1') writeFileSync(path, actual);
      const expected = readFileSync(path, 'utf8');
      expect(actual, `render differs from ${path} (UPDATE_GOLDEN=1 rewrites it)`).to.equal(expected);
    });
  }
});
