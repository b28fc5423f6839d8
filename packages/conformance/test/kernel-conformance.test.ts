// The conformance suite against backend-iptables on this machine's kernel (root, network namespaces), both
// families: every case must pass. Plus a deliberately broken backend that the suite must fail.
import { createProxierPlugin, type NodeProxierPlugin } from '@egress-proxier/core';
import iptables from '@egress-proxier/backend-iptables';
import { expect } from 'chai';
import { failedResults, formatReportTable, runConformance, type ConformanceReport } from '../src/index.js';

describe('conformance suite: backend-iptables on a real kernel (IPv4 and IPv6)', function () {
  this.timeout(300_000);
  let report: ConformanceReport;

  before(async () => {
    report = await runConformance('iptables', { pluginOptions: { announceCount: 1 } });
    console.log(formatReportTable(report).replace(/^/gm, '      '));
  });

  it('runs every case for both families', () => {
    const ids = new Set(report.results.map((result) => result.id));
    expect(ids.size).to.be.greaterThan(15);
    for (const result of report.results.filter((r) => r.family !== 'both')) {
      expect(
        report.results.some((r) => r.id === result.id && r.family === (result.family === 4 ? 6 : 4)),
      ).to.equal(true);
    }
  });

  it('passes every case, IPv4 and IPv6', () => {
    expect(failedResults(report)).to.deep.equal([]);
  });
});

/** backend-iptables with two defects: it never SNATs (drops SNAT rules) and always reports a change. */
const broken: NodeProxierPlugin = createProxierPlugin({
  ...(iptables as NodeProxierPlugin),
  name: 'broken-iptables',
  async create(context) {
    const inner = await (iptables as NodeProxierPlugin).create(context);
    return {
      async sync(table, signal) {
        const rules = table.rules.filter((rule) => rule.action.kind !== 'snat');
        await inner.sync({ ...table, rules }, signal);
        return { changed: true };
      },
      heartbeat: inner.heartbeat?.bind(inner),
      cleanup: (signal) => inner.cleanup(signal),
    };
  },
});

describe('conformance suite: a deliberately broken backend fails it (real kernel)', function () {
  this.timeout(120_000);

  it('reports the wrong source and the spurious change, and exits not conformant', async () => {
    const report = await runConformance(broken, {
      families: [4],
      cases: ['namespace-one-ip', 'second-sync-unchanged'],
      pluginOptions: { announceCount: 1 },
      prefix: 'confbad',
    });
    const byId = new Map(report.results.map((result) => [result.id, result]));
    expect(report.passed).to.equal(false);
    expect(byId.get('namespace-one-ip')?.status).to.equal('fail');
    expect(byId.get('namespace-one-ip')?.details.join('\n')).to.match(
      /expected 192\.0\.2\.100, server saw 192\.0\.2\.1\d/,
    );
    expect(byId.get('second-sync-unchanged')?.details.join('\n')).to.match(/reported changed=true/);
  });
});
