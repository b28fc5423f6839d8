// Reads and writes of one cluster-scoped Calico kind (Tier, GlobalNetworkPolicy) through projectcalico.org/v3.
import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import type { CalicoApiGroup } from '../calico/calico-api.js';
import { hasNameAndSpec } from '../calico/global-network-policy.js';
import type { ObjectMetadata } from '../calico/object-metadata.js';

export interface CalicoObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMetadata;
  spec: object;
}

export class CalicoObjectClient<T extends CalicoObject> {
  private readonly custom: CustomObjectsApi;
  private readonly base: { group: string; version: string; plural: string };

  constructor(kubeConfig: KubeConfig, api: CalicoApiGroup, plural: string) {
    this.custom = kubeConfig.makeApiClient(CustomObjectsApi);
    this.base = { group: api.group, version: api.version, plural };
  }

  async list(labelSelector: string): Promise<T[]> {
    const list = (await this.custom.listClusterCustomObject({ ...this.base, labelSelector })) as {
      items?: unknown[];
    };
    return (list.items ?? []).filter(hasNameAndSpec) as T[];
  }

  async get(name: string): Promise<T> {
    return (await this.custom.getClusterCustomObject({ ...this.base, name })) as T;
  }

  async create(object: T): Promise<T> {
    return (await this.custom.createClusterCustomObject({ ...this.base, body: object })) as T;
  }

  /** PUT with the object's resourceVersion: a concurrent change gets 409 instead of being overwritten. */
  async replace(object: T): Promise<T> {
    return (await this.custom.replaceClusterCustomObject({
      ...this.base,
      name: object.metadata.name,
      body: object,
    })) as T;
  }

  /** Deletes only the version we looked at (uid precondition), so an object recreated meanwhile survives. */
  async delete(object: T): Promise<void> {
    await this.custom.deleteClusterCustomObject({
      ...this.base,
      name: object.metadata.name,
      ...(object.metadata.uid === undefined ? {} : { body: { preconditions: { uid: object.metadata.uid } } }),
    });
  }
}
