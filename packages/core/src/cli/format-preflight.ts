// Human-readable output of `egress-proxier preflight`: a verdict line, then one row per check with what was
// found, and the remedy under each check that did not pass.
import { blockingChecks, type PreflightOutcome } from '../plugin/preflight.js';
import { columns } from './text-columns.js';

export function formatPreflight(outcome: PreflightOutcome): string {
  if (!outcome.declared)
    return `Backend ${outcome.backend} declares no preflight checks: nothing to check (run starts without them).\n`;
  const failed = blockingChecks(outcome).length;
  const warnings = outcome.checks.filter((check) => !check.ok && check.severity === 'warning').length;
  const total = outcome.checks.length;
  const verdict = outcome.ok
    ? `passed (${total} ${total === 1 ? 'check' : 'checks'}${warnings > 0 ? `, ${warnings} ${warnings === 1 ? 'warning' : 'warnings'}` : ''})`
    : `FAILED (${failed} of ${total} checks): egress-proxier run would refuse to start`;
  const rows: string[][] = [];
  for (const check of outcome.checks) {
    rows.push([check.name, result(check), check.detail ?? '-']);
    if (!check.ok && check.remedy) rows.push(['', '', `→ ${check.remedy}`]);
  }
  const table = columns(['CHECK', 'RESULT', 'DETAIL'], rows).map((line) => line.trimEnd());
  return [`Preflight of backend ${outcome.backend}: ${verdict}`, '', ...table].join('\n') + '\n';
}

function result(check: PreflightOutcome['checks'][number]): string {
  if (check.ok) return 'ok';
  return check.severity === 'warning' ? 'warning' : 'FAIL';
}
