// The shared conformance suite against this backend on the machine's kernel, both families, loaded by its
// built-in name as `egress-proxier conformance --backend nftables` does: every case must pass. Needs root, nft.
import { expect } from 'chai';
import {
  failedResults,
  formatReportTable,
  runConformance,
  type ConformanceReport,
} from '@egress-proxier/conformance';

describe('conformance suite: backend nftables on a real kernel (IPv4 and IPv6)', function () {
  this.timeout(300_000);
  let report: ConformanceReport;

  before(async () => {
    report = await runConformance('nftables', {
      pluginOptions: { announceCount: 1 },
      requiredTools: ['nft'],
      prefix: 'confnft',
    });
    console.log(formatReportTable(report).replace(/^/gm, '      '));
  });

  it('runs every case for both families', () => {
    const ids = new Set(report.results.map((result) => result.id));
    expect(ids.size).to.be.greaterThan(15);
    for (const family of [4, 6] as const)
      expect(report.results.filter((result) => result.family === family)).to.have.length.greaterThan(15);
  });

  it('passes every case, IPv4 and IPv6', () => {
    expect(failedResults(report)).to.deep.equal([]);
  });
});
