// IPPool reads and writes through whichever Calico group the cluster serves.
import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { IPPOOL_PLURAL, type CalicoApiGroup } from '../calico/calico-api.js';
import { isIPPool, type IPPool } from '../calico/ippool.js';

export class IPPoolClient {
  private readonly custom: CustomObjectsApi;
  private readonly base: { group: string; version: string; plural: string };

  constructor(kubeConfig: KubeConfig, api: CalicoApiGroup) {
    this.custom = kubeConfig.makeApiClient(CustomObjectsApi);
    this.base = { group: api.group, version: api.version, plural: IPPOOL_PLURAL };
  }

  async list(labelSelector?: string): Promise<IPPool[]> {
    const list = (await this.custom.listClusterCustomObject({
      ...this.base,
      ...(labelSelector === undefined ? {} : { labelSelector }),
    })) as { items?: unknown[] };
    return (list.items ?? []).filter(isIPPool);
  }

  async get(name: string): Promise<IPPool> {
    return (await this.custom.getClusterCustomObject({ ...this.base, name })) as IPPool;
  }

  async create(pool: IPPool): Promise<IPPool> {
    return (await this.custom.createClusterCustomObject({ ...this.base, body: pool })) as IPPool;
  }

  /** PUT with the object's resourceVersion: a concurrent change gets 409 instead of being overwritten. */
  async replace(pool: IPPool): Promise<IPPool> {
    return (await this.custom.replaceClusterCustomObject({
      ...this.base,
      name: pool.metadata.name,
      body: pool,
    })) as IPPool;
  }

  /** Deletes only the version we looked at (uid precondition), so a pool recreated meanwhile survives. */
  async delete(pool: IPPool): Promise<void> {
    await this.custom.deleteClusterCustomObject({
      ...this.base,
      name: pool.metadata.name,
      ...(pool.metadata.uid === undefined ? {} : { body: { preconditions: { uid: pool.metadata.uid } } }),
    });
  }
}
