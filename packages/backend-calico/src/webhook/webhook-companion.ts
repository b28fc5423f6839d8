// The calico backend's companion: the pod admission webhook, on every agent (leader or not) so that the
// webhook Service can send a pod creation to any agent pod. Off unless --calico-webhook-bind-address is set.
// It answers from the agent's own view (its cluster table, namespace labels, our pools read from the API),
// never from the leader's proxier.
import { join } from 'node:path';
import { parseBindAddress, type Companion, type CompanionContext } from '@egress-proxier/core';
import { ManagedPoolCache } from './managed-pool-cache.js';
import { NamespaceLabelCache } from './namespace-labels.js';
import { PodPoolWebhook } from './pod-pool-webhook.js';
import { tlsFromFiles, type WebhookTls } from './webhook-tls.js';

/** Where deploy/webhook mounts the Secret egress-proxier-webhook-tls (files tls.crt and tls.key). */
export const DEFAULT_WEBHOOK_TLS_DIR = '/etc/egress-proxier/webhook-tls';

export async function startWebhookCompanion(context: CompanionContext): Promise<Companion> {
  const { logger, options, kubeConfig } = context;
  const bindAddress = typeof options['webhookBindAddress'] === 'string' ? options['webhookBindAddress'] : '';
  if (bindAddress === '') {
    logger.info('calico: pod webhook off (--calico-webhook-bind-address is empty)');
    return { stop: () => Promise.resolve() };
  }
  if (kubeConfig === undefined)
    throw new Error('the calico pod webhook reads the Kubernetes API and needs a kubeconfig');
  const { host, port } = parseBindAddress(bindAddress);
  const tlsDir =
    typeof options['webhookTlsDir'] === 'string' && options['webhookTlsDir'] !== ''
      ? options['webhookTlsDir']
      : DEFAULT_WEBHOOK_TLS_DIR;
  const tls = await readTls(tlsDir);
  const namespaces = new NamespaceLabelCache(kubeConfig);
  const pools = new ManagedPoolCache(kubeConfig);
  const webhook = new PodPoolWebhook({
    tls,
    host,
    port,
    currentTable: () => context.clusterTable(),
    namespaceLabels: (namespace) => namespaces.labels(namespace),
    isUsablePool: (name) => pools.isUsable(name),
    onError: (error) => logger.warn({ err: error }, 'calico: pod webhook request failed'),
  });
  const bound = await webhook.start();
  logger.info({ host, port: bound, tlsDir }, 'calico: pod webhook listening');
  return { stop: () => webhook.close() };
}

async function readTls(dir: string): Promise<WebhookTls> {
  try {
    return await tlsFromFiles(join(dir, 'tls.crt'), join(dir, 'tls.key'));
  } catch (error) {
    throw new Error(
      `calico pod webhook: cannot read tls.crt and tls.key in ${dir} (--calico-webhook-tls-dir; ` +
        `deploy/webhook mounts the Secret egress-proxier-webhook-tls there): ${(error as Error).message}`,
      { cause: error },
    );
  }
}
