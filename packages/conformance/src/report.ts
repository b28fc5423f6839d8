// Results as a case × family table for people and as JSON for machines.
import type { Family } from './addresses.js';

export type CaseStatus = 'pass' | 'fail';

export interface CaseResult {
  id: string;
  title: string;
  /** Undefined for a case that covers the whole run rather than one family (cleanup). */
  family: Family | 'both';
  status: CaseStatus;
  durationMs: number;
  /** On failure, what differed (assertions); on success, what was checked. */
  details: string[];
}

export interface ConformanceReport {
  backend: string;
  families: Family[];
  results: CaseResult[];
  passed: boolean;
  durationMs: number;
}

export function summarize(
  backend: string,
  families: Family[],
  results: CaseResult[],
  durationMs: number,
): ConformanceReport {
  return {
    backend,
    families,
    results,
    passed: results.length > 0 && results.every((r) => r.status === 'pass'),
    durationMs,
  };
}

const MARK: Record<CaseStatus, string> = { pass: 'pass', fail: 'FAIL' };

export function formatReportTable(report: ConformanceReport): string {
  const ids = [...new Set(report.results.map((result) => result.id))];
  const columns: (Family | 'both')[] = [...report.families];
  const width = Math.max(4, ...ids.map((id) => id.length));
  const header = `${'CASE'.padEnd(width)}  ${columns.map((family) => `IPv${family}`.padEnd(6)).join('  ')}`;
  const lines = [`conformance of backend '${report.backend}'`, header];
  for (const id of ids) {
    const cells = columns.map((family) => {
      const result = report.results.find((r) => r.id === id && (r.family === family || r.family === 'both'));
      return (result === undefined ? '-' : MARK[result.status]).padEnd(6);
    });
    lines.push(`${id.padEnd(width)}  ${cells.join('  ')}`);
  }
  const failed = report.results.filter((result) => result.status === 'fail');
  if (failed.length > 0) {
    lines.push('', 'FAILURES');
    for (const result of failed) {
      const family = result.family === 'both' ? '' : ` (IPv${result.family})`;
      lines.push(`  ${result.id}${family}: ${result.title}`);
      for (const detail of result.details) lines.push(`    - ${detail}`);
    }
  }
  const passed = report.results.length - failed.length;
  lines.push(
    '',
    `${passed}/${report.results.length} passed in ${(report.durationMs / 1000).toFixed(1)} s: ${report.passed ? 'CONFORMANT' : 'NOT CONFORMANT'}`,
  );
  return `${lines.join('\n')}\n`;
}

export function formatReportJson(report: ConformanceReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

/** Every result that did not pass, as `id/family: status: details` (empty when the report is conformant). */
export function failedResults(report: ConformanceReport): string[] {
  return report.results
    .filter((result) => result.status !== 'pass')
    .map((result) => `${result.id}/${result.family}: ${result.status}: ${result.details.join('; ')}`);
}
