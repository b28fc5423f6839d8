// Namespace annotations: read all namespaces, merge-patch only our keys.
import { CoreV1Api, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import type { AnnotationPatch, NamespaceAnnotations } from '../plan/plan-namespaces.js';

export class NamespaceClient {
  private readonly core: CoreV1Api;

  constructor(kubeConfig: KubeConfig) {
    this.core = kubeConfig.makeApiClient(CoreV1Api);
  }

  async list(): Promise<NamespaceAnnotations[]> {
    const list = await this.core.listNamespace();
    return list.items.map((namespace) => ({
      name: namespace.metadata?.name ?? '',
      annotations: namespace.metadata?.annotations ?? {},
    }));
  }

  /** A JSON merge patch touches only the keys in `patch`; annotations others set stay as they are. */
  async patchAnnotations(name: string, patch: AnnotationPatch): Promise<void> {
    await this.core.patchNamespace(
      { name, body: { metadata: { annotations: patch } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  }
}
