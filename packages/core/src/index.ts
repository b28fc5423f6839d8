// Public API of @egress-proxier/core.
export * from './api/egress-types.js';
export * from './api/egress-policy.js';
export * from './api/field-problem.js';
export * from './selectors/label-selector-types.js';
export * from './selectors/label-selector.js';
export * from './selectors/label-validation.js';
export * from './net/ip.js';
export * from './cluster/slim-objects.js';
export * from './table/node-egress-table.js';
export * from './table/cluster-egress-table.js';
export * from './plugin/capabilities.js';
export * from './plugin/proxier.js';
export * from './exec/exec.js';
export * from './runner/clock.js';
