// The webhook's serving certificate: from a kubernetes.io/tls Secret (read through the API) or from files
// (a mounted Secret volume).
import { readFile } from 'node:fs/promises';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';

export interface WebhookTls {
  cert: string;
  key: string;
}

export async function tlsFromFiles(certPath: string, keyPath: string): Promise<WebhookTls> {
  const [cert, key] = await Promise.all([readFile(certPath, 'utf8'), readFile(keyPath, 'utf8')]);
  return { cert, key };
}

export async function tlsFromSecret(
  kubeConfig: KubeConfig,
  namespace: string,
  name: string,
): Promise<WebhookTls> {
  const secret = await kubeConfig.makeApiClient(CoreV1Api).readNamespacedSecret({ namespace, name });
  const cert = secret.data?.['tls.crt'];
  const key = secret.data?.['tls.key'];
  if (cert === undefined || key === undefined) {
    throw new Error(
      `Secret ${namespace}/${name} has no tls.crt and tls.key (expected a kubernetes.io/tls Secret)`,
    );
  }
  return {
    cert: Buffer.from(cert, 'base64').toString('utf8'),
    key: Buffer.from(key, 'base64').toString('utf8'),
  };
}
