// Loading the kubeconfig the way kubectl finds it (a path, else in-cluster, else $KUBECONFIG or
// ~/.kube/config), and refusing one that is not usable with a message that says which and why, rather than
// client-node's "Cannot read properties of undefined" from an empty or foreign file.
import { readFileSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';
import { parse } from 'yaml';

export class KubeconfigError extends Error {
  override name = 'KubeconfigError';
}

export function loadKubeConfig(path: string | undefined): KubeConfig {
  const kubeConfig = new KubeConfig();
  if (path) {
    checkKubeconfigFile(path);
    kubeConfig.loadFromFile(path);
  } else if (process.env.KUBERNETES_SERVICE_HOST) kubeConfig.loadFromCluster();
  else kubeConfig.loadFromDefault();
  const where = path ? `--kubeconfig ${path}` : 'the kubeconfig (in-cluster, $KUBECONFIG or ~/.kube/config)';
  const cluster = kubeConfig.getCurrentCluster();
  if (cluster === null)
    throw new KubeconfigError(`${where}: no current context with a cluster (set current-context)`);
  if (!cluster.server) throw new KubeconfigError(`${where}: cluster ${cluster.name} has no server address`);
  return kubeConfig;
}

/** The file must exist and hold a kubeconfig mapping (apiVersion v1, a clusters list). */
function checkKubeconfigFile(path: string): void {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new KubeconfigError(`--kubeconfig ${path}: ${(error as Error).message}`);
  }
  let document: unknown;
  try {
    document = parse(text);
  } catch (error) {
    throw new KubeconfigError(`--kubeconfig ${path}: not YAML: ${(error as Error).message}`);
  }
  const clusters = (document as { clusters?: unknown } | null)?.clusters;
  if (document === null || typeof document !== 'object' || !Array.isArray(clusters) || clusters.length === 0)
    throw new KubeconfigError(
      `--kubeconfig ${path}: not a kubeconfig (${text.trim() === '' ? 'the file is empty' : 'no clusters list'})`,
    );
}
