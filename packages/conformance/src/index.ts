// @egress-proxier/conformance: the suite every node backend runs on a real kernel.
export { runConformance, ConformanceSetupError, type ConformanceOptions } from './run-conformance.js';
export { CONFORMANCE_CASES, CLEANUP_CASE_ID, caseIds, type ConformanceCase } from './cases.js';
export { SOURCE_CASES, type SourceCase } from './source-cases.js';
export { CaseContext, CaseFailure, type Timing } from './case-context.js';
export {
  failedResults,
  formatReportTable,
  formatReportJson,
  summarize,
  type CaseResult,
  type ConformanceReport,
} from './report.js';
export { judgeAttempts, type Window } from './expect-source.js';
export { compareRenderWithKernel, type RenderComparison } from './render-compare.js';
export { HandOver } from './handover.js';
export { FAMILIES, type Family } from './addresses.js';
