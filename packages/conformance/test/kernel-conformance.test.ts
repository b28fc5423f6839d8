// The conformance suite against backend-iptables on this machine's kernel (root, network namespaces), both
// families, plus a deliberately broken backend that the suite must fail. Known failures of backend-iptables
// are listed with their cause (docs/conformance.md); every other case must pass, and a known failure that
// starts passing must be taken off the list.
import { createProxierPlugin, type NodeProxierPlugin } from '@egress-proxier/core';
import iptables from '@egress-proxier/backend-iptables';
import { expect } from 'chai';
import { formatReportTable, runConformance, type ConformanceReport } from '../src/index.js';

/** `case/family` → why backend-iptables fails it today (see docs/conformance.md, "Findings"). */
const KNOWN_FAILURES: Record<string, string> = {
  'namespace-one-ip/6': 'the IPv6 egress address becomes the source of the node’s own masquerade',
  'excluded-cidrs/6': 'the IPv6 egress address becomes the source of the node’s own masquerade',
  'policy-change/6': 'the IPv6 egress address becomes the source of the node’s own masquerade',
  'drift-repaired/4': 'ip rules and addresses are re-read only when the iptables canary is broken',
  'drift-repaired/6': 'ip rules and addresses are re-read only when the iptables canary is broken',
  'cleanup-restores-kernel/both': 'IPv6 prefix routes of removed /128 egress addresses outlive them',
};
/** Real defects whose failure depends on timing: a connection must land in a short window to show them. */
const FLAKY: Record<string, string> = {
  'transitions-no-wrong-source/4':
    'a source node briefly sends marked traffic neither steered nor masqueraded (pod IP) while a policy goes',
  'transitions-no-wrong-source/6':
    'as for IPv4, and no unsolicited neighbour advertisement after an IPv6 IP moves',
};

describe('conformance suite: backend-iptables on a real kernel (IPv4 and IPv6)', function () {
  this.timeout(300_000);
  let report: ConformanceReport;

  before(async () => {
    report = await runConformance('iptables', { pluginOptions: { garpCount: 1 } });
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

  it('passes every case that is not a known failure', () => {
    const failed = report.results
      .filter((result) => result.status === 'fail')
      .map((result) => `${result.id}/${result.family}`)
      .filter((key) => KNOWN_FAILURES[key] === undefined && FLAKY[key] === undefined);
    expect(failed).to.deep.equal([]);
  });

  it('still fails the known failures (take a fixed one off the list)', () => {
    const nowPassing = Object.keys(KNOWN_FAILURES).filter((key) =>
      report.results.some((result) => `${result.id}/${result.family}` === key && result.status === 'pass'),
    );
    expect(nowPassing).to.deep.equal([]);
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
      pluginOptions: { garpCount: 1 },
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
