// `egress-proxier render --backend ipvs` over examples/ (the CLI, as a user runs it), against golden files in
// test/golden/; UPDATE_GOLDEN=1 rewrites them. The packet path the text describes is proven in the guest
// kernel (kernel-conformance.test.ts); this pins down the exact rules, services and routes.
import { renderGolden, type RenderGoldenCase } from '@egress-proxier/testing';
import { expect } from 'chai';

const GOLDEN = new URL('../../test/golden/', import.meta.url);

const cases: RenderGoldenCase[] = [
  { name: 'source-node-dr', node: 'node-a', flags: ['--ipvs-uplink', 'eth0'] },
  {
    name: 'source-node-tunnel-mh',
    node: 'node-a',
    flags: ['--ipvs-uplink', 'eth0', '--ipvs-forwarding', 'tunnel', '--ipvs-scheduler', 'mh'],
  },
  {
    name: 'gateway-node-tunnel',
    node: 'node-b',
    flags: ['--ipvs-uplink', 'ens5', '--ipvs-forwarding', 'tunnel'],
  },
  {
    name: 'custom-mark-uplink-unset',
    node: 'node-c',
    flags: ['--ipvs-mark', '0x1000000', '--ipvs-mask', '0x3f000000'],
  },
];

describe('ipvs render (golden files, over examples/)', () => {
  for (const testCase of cases) {
    it(`renders ${testCase.name}`, function () {
      this.timeout(30_000);
      const { actual, expected, path } = renderGolden('ipvs', GOLDEN, testCase);
      expect(actual, `render differs from ${path} (UPDATE_GOLDEN=1 rewrites it)`).to.equal(expected);
    });
  }
});
