// `egress-proxier render --backend nftables` over examples/ (the CLI, as a user runs it), against golden files in
// test/golden/; UPDATE_GOLDEN=1 rewrites them. The packet path the script describes is proven on the kernel
// (kernel-conformance.test.ts, kernel-coexistence.test.ts); this pins down the exact table, routes and addresses.
import { renderGolden, type RenderGoldenCase } from '@egress-proxier/testing';
import { expect } from 'chai';

const GOLDEN = new URL('../../test/golden/', import.meta.url);

const cases: RenderGoldenCase[] = [
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

describe('nftables render (golden files, over examples/)', () => {
  for (const testCase of cases) {
    it(`renders ${testCase.name}`, function () {
      this.timeout(30_000);
      const { actual, expected, path } = renderGolden('nftables', GOLDEN, testCase);
      expect(actual, `render differs from ${path} (UPDATE_GOLDEN=1 rewrites it)`).to.equal(expected);
    });
  }
});
