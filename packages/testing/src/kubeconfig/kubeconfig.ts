import { writeFile } from 'node:fs/promises';
import { stringify } from 'yaml';

export const contextName = 'egress-proxier-testing';

/** A kubeconfig file's content as an object (`clientcmd` v1 layout). */
export interface KubeconfigFile {
  apiVersion: 'v1';
  kind: 'Config';
  clusters: Array<{ name: string; cluster: { server: string; 'certificate-authority-data'?: string } }>;
  users: Array<{ name: string; user: { token: string } }>;
  contexts: Array<{ name: string; context: { cluster: string; user: string; namespace: string } }>;
  'current-context': string;
}

/** The shape `KubeConfig.loadFromOptions()` of @kubernetes/client-node accepts (kept dependency-free). */
export interface ClientNodeOptions {
  clusters: Array<{ name: string; server: string; caData?: string; skipTLSVerify: boolean }>;
  users: Array<{ name: string; token: string }>;
  contexts: Array<{ name: string; cluster: string; user: string; namespace: string }>;
  currentContext: string;
}

export interface ConnectionInfo {
  url: string;
  /** PEM CA for HTTPS servers. */
  caPem?: string;
  token: string;
}

export function buildKubeconfig(info: ConnectionInfo): KubeconfigFile {
  const cluster: KubeconfigFile['clusters'][number]['cluster'] = { server: info.url };
  if (info.caPem) cluster['certificate-authority-data'] = Buffer.from(info.caPem).toString('base64');
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: contextName, cluster }],
    users: [{ name: contextName, user: { token: info.token } }],
    contexts: [
      { name: contextName, context: { cluster: contextName, user: contextName, namespace: 'default' } },
    ],
    'current-context': contextName,
  };
}

export function clientNodeOptions(info: ConnectionInfo): ClientNodeOptions {
  return {
    clusters: [
      {
        name: contextName,
        server: info.url,
        ...(info.caPem ? { caData: Buffer.from(info.caPem).toString('base64') } : {}),
        skipTLSVerify: false,
      },
    ],
    users: [{ name: contextName, token: info.token }],
    contexts: [{ name: contextName, cluster: contextName, user: contextName, namespace: 'default' }],
    currentContext: contextName,
  };
}

export function kubeconfigYaml(config: KubeconfigFile): string {
  return stringify(config);
}

export async function writeKubeconfigFile(path: string, config: KubeconfigFile): Promise<void> {
  await writeFile(path, kubeconfigYaml(config), { mode: 0o600 });
}
