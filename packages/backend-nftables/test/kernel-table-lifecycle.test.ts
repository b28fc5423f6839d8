// This backend's own cases, run in the conformance lab (real kernel, both families): a change that touches only
// elements is written element-wise (no full rewrite), an unchanged table writes nothing, and a table deleted by
// hand is noticed by the next sync's terse read and rewritten whole — with the sources seen outside checked
// after each step.
import { expect } from 'chai';
import {
  CaseFailure,
  failedResults,
  formatReportTable,
  runConformance,
  type CaseContext,
  type ConformanceCase,
  type ConformanceReport,
} from '@egress-proxier/conformance';
import type { SyncReport } from '@egress-proxier/core/plugin';

function counts(reports: Map<string, SyncReport>, kind: string): Record<string, number | undefined> {
  return Object.fromEntries([...reports].map(([node, report]) => [node, report.counts?.[kind]]));
}

async function elementWritesThenRepair(context: CaseContext): Promise<void> {
  const spec = (to: 'db' | 'web') =>
    context.spec({ namespace: 'payments', ips: ['a'], to, gateway: 'node-1' });
  context.world.applyEgress('to-db', spec('db'));
  await context.converge();
  await context.expectSources([
    ['2-1', 'db', 'a'],
    ['3-1', 'db', 'a'],
  ]);
  const problems: string[] = [];

  // Same structure, other elements: every node writes elements only.
  context.world.applyEgress('to-db', spec('web'));
  const moved = await context.world.syncAll(context.signal);
  const full = counts(moved, 'fullWrites');
  if (Object.values(full).some((n) => n !== 0))
    problems.push(`destination change wrote whole tables: ${JSON.stringify(full)}`);
  const changes = counts(moved, 'setChanges');
  if (!Object.values(changes).some((n) => (n ?? 0) > 0))
    problems.push(`no element changed: ${JSON.stringify(changes)}`);
  await context.expectSources([
    ['2-1', 'web', 'a'],
    ['3-1', 'web', 'a'],
  ]);

  // Unchanged: nothing written anywhere.
  const again = await context.world.syncAll(context.signal);
  const commands = counts(again, 'commands');
  if (Object.values(commands).some((n) => n !== 0))
    problems.push(`unchanged table ran commands: ${JSON.stringify(commands)}`);

  // Someone deletes our table on the gateway: the next sync rewrites it whole, SNAT is back.
  const gateway = context.node(1);
  await context.lab.exec(gateway.namespace, 'nft', ['delete', 'table', 'inet', 'egress-proxier']);
  const repaired = await context.world.syncAll(context.signal);
  if (repaired.get(gateway.name)?.counts?.fullWrites !== 1)
    problems.push(`deleted table not rewritten: ${JSON.stringify(repaired.get(gateway.name)?.counts)}`);
  await context.expectSources([
    ['2-1', 'web', 'a'],
    ['3-1', 'web', 'a'],
  ]);
  if (problems.length > 0) throw new CaseFailure(problems);
}

const CASES: ConformanceCase[] = [
  {
    id: 'nft-element-writes-and-repair',
    title: 'element-wise writes, no write when unchanged, a deleted table rewritten',
    run: elementWritesThenRepair,
  },
];

describe('backend nftables: table lifecycle on a real kernel (IPv4 and IPv6)', function () {
  this.timeout(180_000);
  let report: ConformanceReport;

  before(async () => {
    report = await runConformance('nftables', {
      pluginOptions: { announceCount: 1 },
      requiredTools: ['nft'],
      prefix: 'nftlife',
      extraCases: CASES,
      cases: CASES.map((c) => c.id),
    });
    console.log(formatReportTable(report).replace(/^/gm, '      '));
  });

  it('passes for both families', () => {
    expect(report.results.map((r) => `${r.id}/${r.family}`)).to.have.members([
      'nft-element-writes-and-repair/4',
      'nft-element-writes-and-repair/6',
    ]);
    expect(failedResults(report)).to.deep.equal([]);
  });
});
