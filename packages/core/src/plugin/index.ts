// `@egress-proxier/core/plugin`: the entry point for backend authors. The plugin contract and what a backend
// legitimately uses to honour it (the tables it receives, the Exec seam, the clock, address and selector
// helpers, preflight checks), and nothing of the agent: importing it loads neither the Kubernetes client
// nor inversify, yargs, the CLI or the agent's machinery, so a backend (or a tool that only renders) stays
// light and cannot come to depend on the core's internals. A test proves what it loads
// (test/plugin-entry.test.ts). The main entry (`@egress-proxier/core`) re-exports the same modules, so the
// classes here are the agent's own (`instanceof SyncFailedError` holds across the two).

// The contract: plugin shapes, context, reports, SyncFailedError, createProxierPlugin, preflight types.
export * from './proxier.js';
export * from './traffic.js';
export * from './capabilities.js';
export * from './preflight.js';
export { validateProxierPlugin, type PluginValidation } from './validate-plugin.js';

// What a backend receives and runs commands through.
export * from '../table/node-egress-table.js';
export * from '../table/cluster-egress-table.js';
export { tableDigest } from '../table/table-digest.js';
// The node table in longest-prefix form, for LPM tries, interval maps and classifiers.
export * from '../table/longest-prefix/longest-prefix-table.js';
export * from '../table/longest-prefix/compile-longest-prefix-table.js';
export * from '../table/longest-prefix/lookup-longest-prefix.js';
export * from '../exec/exec.js';
export * from '../exec/exit-code.js';
export * from '../runner/clock.js';

// Helpers for the table's contents: addresses and prefixes, label selectors (cluster-scope backends).
export * from '../net/ip.js';
export * from '../net/cidr-set.js';
export * from '../selectors/label-selector-types.js';
export { compileLabelSelector, compareStrings, type CompiledSelector } from '../selectors/label-selector.js';
export type { ConditionStatus, EgressCondition, FailurePolicy } from '../api/egress-types.js';
