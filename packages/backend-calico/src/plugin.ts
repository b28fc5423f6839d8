// The `calico` backend: cluster scope (one instance, under leader election), programs through Calico's API;
// its companion, the pod admission webhook, runs on every agent.
import { createProxierPlugin, type ClusterProxierPlugin } from '@egress-proxier/core';
import { CalicoProxier } from './calico-proxier.js';
import { renderCalico } from './render/render-calico.js';
import { DEFAULT_WEBHOOK_TLS_DIR, startWebhookCompanion } from './webhook/webhook-companion.js';

export const plugin: ClusterProxierPlugin = createProxierPlugin({
  name: 'calico',
  description:
    'Delegates egress to Calico IP pools: one single-address pool per egress IP, requested by namespace ' +
    'annotation or (with the admission webhook) per pod. No kernel work; pods must be recreated to move.',
  scope: 'cluster',
  // Not sharedAddress (a pool address belongs to one pod), not destinationCIDRs (one source for every
  // destination), not failover (there is no gateway node). failClosed: a GlobalNetworkPolicy denies selected
  // pods that are not yet on a pool address (docs/backend-calico.md).
  capabilities: ['multipleEgressIPs', 'ipv6', 'failClosed'],
  options: {
    webhookBindAddress: {
      type: 'string',
      description:
        'HOST:PORT where every agent serves the pod admission webhook for podSelector Egresses, e.g. ' +
        '0.0.0.0:9443 (empty: off)',
      default: '',
    },
    webhookTlsDir: {
      type: 'string',
      description: "Directory holding the webhook's serving certificate as tls.crt and tls.key",
      default: DEFAULT_WEBHOOK_TLS_DIR,
    },
  },
  create(context) {
    if (context.kubeConfig === undefined) {
      throw new Error('the calico backend programs through the Kubernetes API and needs a kubeconfig');
    }
    return new CalicoProxier({ kubeConfig: context.kubeConfig, logger: context.logger });
  },
  companion(context) {
    return startWebhookCompanion(context);
  },
  render(table) {
    return renderCalico(table);
  },
});
