// Which of our pools exist, for the webhook on every agent. The leader's proxier knows what it wrote, but
// the webhook runs on every agent (the Service picks any), so it reads the pools from the API: one list of
// our labelled pools per `ttlMs`, shared by a burst of admissions. A pool created moments ago may be missed
// (the pod starts without it and is reported as PodsPendingRecreate); one deleted moments ago may still be
// handed out, which is why the window is short.
import type { KubeConfig } from '@kubernetes/client-node';
import { isNotFound } from '../calico/api-errors.js';
import { detectCalicoApi } from '../calico/detect-calico-api.js';
import { MANAGED_POOLS_SELECTOR } from '../calico/ownership.js';
import { IPPoolClient } from '../apply/ippool-client.js';
import { isManagedPool } from '../plan/pool-ownership.js';

export class ManagedPoolCache {
  private client: IPPoolClient | undefined;
  private names: { pools: ReadonlySet<string>; at: number } | undefined;
  private refreshing: Promise<ReadonlySet<string>> | undefined;

  constructor(
    private readonly kubeConfig: KubeConfig,
    private readonly ttlMs = 1000,
    private readonly now: () => number = () => performance.now(),
  ) {}

  async isUsable(name: string): Promise<boolean> {
    return (await this.pools()).has(name);
  }

  /** Our pools that exist and are not being deleted. Throws when they cannot be read. */
  async pools(): Promise<ReadonlySet<string>> {
    const cached = this.names;
    if (cached !== undefined && this.now() - cached.at < this.ttlMs) return cached.pools;
    this.refreshing ??= this.read().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async read(): Promise<ReadonlySet<string>> {
    const client = await this.connect();
    let list;
    try {
      list = await client.list(MANAGED_POOLS_SELECTOR);
    } catch (error) {
      if (isNotFound(error)) this.client = undefined; // Calico's API changed: detect it again next time.
      throw error;
    }
    const pools = new Set(
      list
        .filter((pool) => isManagedPool(pool) && pool.metadata['deletionTimestamp'] === undefined)
        .map((pool) => pool.metadata.name),
    );
    this.names = { pools, at: this.now() };
    return pools;
  }

  private async connect(): Promise<IPPoolClient> {
    if (this.client !== undefined) return this.client;
    const detection = await detectCalicoApi(this.kubeConfig);
    if (!detection.available) throw new Error(`Calico's API is unavailable: ${detection.reason}`);
    this.client = new IPPoolClient(this.kubeConfig, detection.calico.api);
    return this.client;
  }
}
