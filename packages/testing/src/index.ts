export {
  startApiServer,
  type RunningApiServer,
  type StartApiServerOptions,
} from './server/start-api-server.js';
export { ApiServer, type ApiServerOptions } from './server/api-server.js';
export { ClusterObjects } from './server/cluster-objects.js';
export {
  FaultInjector,
  type FailureRule,
  type PauseMode,
  type RequestMatcher,
} from './faults/fault-injector.js';
export { faultPathPrefix } from './faults/fault-routes.js';
export type { KubeObject, ObjectMeta, StoredObject, JsonObject, JsonValue } from './api/kube-object.js';
export { StatusError } from './api/status-error.js';
export type { ClientNodeOptions, KubeconfigFile } from './kubeconfig/kubeconfig.js';
export { parseLabelSelector, matchesLabels, type LabelRequirement } from './selectors/label-selector.js';
export { parseFieldSelector, matchesFields, type FieldRequirement } from './selectors/field-selector.js';
export { type CelRule, type StructuralSchema } from './schema/structural-schema.js';
export { withDefaults } from './schema/defaults.js';
export { validateCustomObject, type SchemaProblem } from './schema/check-object.js';
export { CustomResourceSchema, type FieldValidation } from './schema/custom-resource.js';
export { errorBody, errorString, type FieldError, type FieldErrorType } from './schema/field-errors.js';
export { PER_CALL_LIMIT, RUNTIME_COST_BUDGET } from './schema/cel/cost.js';
export { renderGolden, type RenderGoldenCase } from './golden/render-golden.js';
export { runningPodStatus, type RunningPodStatusOptions } from './kubelet/running-pod-status.js';
