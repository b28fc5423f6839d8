// Namespace labels for the webhook, read through the API with a short cache: admission must answer within
// its timeout, and a burst of pod creations in one namespace should cost one read.
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { Labels } from '@egress-proxier/core';
import { isNotFound } from '../calico/api-errors.js';

export class NamespaceLabelCache {
  private readonly core: CoreV1Api;
  private readonly entries = new Map<string, { labels: Labels | undefined; at: number }>();

  constructor(
    kubeConfig: KubeConfig,
    private readonly ttlMs = 2000,
    private readonly now: () => number = Date.now,
  ) {
    this.core = kubeConfig.makeApiClient(CoreV1Api);
  }

  async labels(namespace: string): Promise<Labels | undefined> {
    const cached = this.entries.get(namespace);
    if (cached !== undefined && this.now() - cached.at < this.ttlMs) return cached.labels;
    let labels: Labels | undefined;
    try {
      const object = await this.core.readNamespace({ name: namespace });
      labels = object.metadata?.labels ?? {};
    } catch (error) {
      if (!isNotFound(error)) throw error;
      labels = undefined;
    }
    this.entries.set(namespace, { labels, at: this.now() });
    return labels;
  }
}
