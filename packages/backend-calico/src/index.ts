// @egress-proxier/backend-calico: the plugin (default and named export), the proxier and the pod webhook.
import { plugin } from './plugin.js';

export { plugin };
export default plugin;
export { CalicoProxier, type CalicoProxierOptions } from './calico-proxier.js';
export {
  CALICO_CONDITION_TYPES,
  type CalicoCondition,
  type CalicoConditionType,
  type CalicoPolicyConditions,
} from './plan/conditions.js';
export { detectCalicoApi, type CalicoApiDetection } from './calico/detect-calico-api.js';
export type { CalicoApi, CalicoApiGroup, PoolFencing } from './calico/calico-api.js';
export type { IPPool, IPPoolSpec } from './calico/ippool.js';
export * from './calico/ownership.js';
export { poolName } from './plan/pool-naming.js';
export { renderCalico, SECTION_TITLES, RENDER_ASSUMED_API } from './render/render-calico.js';
export { PodPoolWebhook, MUTATE_PODS_PATH, type PodPoolWebhookOptions } from './webhook/pod-pool-webhook.js';
export { answerAdmissionReview, type AdmissionDependencies } from './webhook/admission-review.js';
export { NamespaceLabelCache } from './webhook/namespace-labels.js';
export { ManagedPoolCache } from './webhook/managed-pool-cache.js';
export { startWebhookCompanion, DEFAULT_WEBHOOK_TLS_DIR } from './webhook/webhook-companion.js';
export { tlsFromFiles, tlsFromSecret, type WebhookTls } from './webhook/webhook-tls.js';
