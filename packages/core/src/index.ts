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
export * from './api/validate-egress.js';
export * from './cluster/from-kubernetes.js';
export * from './net/cidr-set.js';
export * from './hashing/rendezvous.js';
export * from './tracker/egress-tracker.js';
export * from './gateway/gateway-assigner.js';
export * from './model/egress-model.js';
export * from './model/policy-acceptance.js';
export * from './model/policy-outcome.js';
export * from './table/build-node-table.js';
export * from './table/build-cluster-table.js';
export * from './table/rule-precedence.js';
export * from './table/table-digest.js';
export * from './exec/execa-exec.js';
export * from './exec/dry-run-exec.js';
export * from './exec/exit-code.js';
export * from './plugin/capability-check.js';
export * from './runner/bounded-frequency-runner.js';
export * from './plugin/built-in-backends.js';
export * from './plugin/validate-plugin.js';
export * from './plugin/load-plugin.js';
export * from './logging/logger.js';
export * from './composition/tokens.js';
export * from './composition/container.js';
export * from './kube/kube-client.js';
export * from './kube/slim-convert.js';
export * from './kube/reflector.js';
export * from './fencing/lease-liveness.js';
export * from './fencing/gateway-state.js';
export * from './fencing/gateway-claims.js';
export * from './fencing/claim-book.js';
export * from './fencing/address-lifetime.js';
export * from './fencing/fencing-controller.js';
export * from './table/gateway-view.js';
export * from './agent/node-datapath.js';
export * from './kube/heartbeat-renewer.js';
export * from './kube/leader-elector.js';
export * from './kube/egress-status.js';
export * from './kube/status-writer.js';
export * from './agent/agent.js';
export * from './agent/agent-options.js';
export * from './observability/agent-metrics.js';
export * from './observability/http-endpoints.js';
export {
  agentOptionsFromArgs,
  parseDuration,
  startAgentFromArgs,
  type RunArgs,
  type RunningAgentProcess,
} from './cli/commands/run.js';
export * from './fencing/peer-fencing.js';
