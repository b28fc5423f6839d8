// The cluster-scope proxier: one sync turns the ClusterEgressTable into Calico IP pools and namespace pool
// annotations, and records per-Egress conditions for what Calico cannot do or has not done yet.
import type {
  ClusterEgressTable,
  ClusterPolicyEntry,
  ClusterProxier,
  ProxierContext,
  SyncReport,
} from '@egress-proxier/core';
import { SyncFailedError } from '@egress-proxier/core';
import type { KubeConfig } from '@kubernetes/client-node';
import { describeError, isNotFound } from './calico/api-errors.js';
import { apiVersionOf, type CalicoApi } from './calico/calico-api.js';
import { detectCalicoApi } from './calico/detect-calico-api.js';
import type { IPPool } from './calico/ippool.js';
import { MANAGED_POOLS_SELECTOR } from './calico/ownership.js';
import { ensurePool } from './apply/ensure-pool.js';
import { FailClosedEnforcer } from './apply/fail-closed-enforcer.js';
import { IPPoolClient } from './apply/ippool-client.js';
import { NamespaceClient } from './apply/namespace-client.js';
import {
  condition,
  normalizeConditions,
  type CalicoCondition,
  type CalicoPolicyConditions,
} from './plan/conditions.js';
import type { DesiredPool } from './plan/desired-pool.js';
import { planNamespaces, type AnnotationPatch } from './plan/plan-namespaces.js';
import { planPools } from './plan/plan-pools.js';
import { podConditions } from './plan/pod-conditions.js';
import { isManagedPool } from './plan/pool-ownership.js';

export interface CalicoProxierOptions {
  kubeConfig: KubeConfig;
  logger: ProxierContext['logger'];
}

interface Connected {
  calico: CalicoApi;
  pools: IPPoolClient;
  failClosed: FailClosedEnforcer;
}

export class CalicoProxier implements ClusterProxier {
  private readonly namespaces: NamespaceClient;
  private connected: Connected | undefined;
  private lastConditions: CalicoPolicyConditions = new Map();
  /** Pools that exist and are ours, by name: what the webhook may hand out. */
  private poolsInPlace = new Set<string>();

  constructor(private readonly options: CalicoProxierOptions) {
    this.namespaces = new NamespaceClient(options.kubeConfig);
  }

  /** Per Egress in the last synced table: the Calico conditions that hold (empty list: none). */
  conditions(): CalicoPolicyConditions {
    return new Map([...this.lastConditions].map(([name, list]) => [name, [...list]]));
  }

  /** Names of our pools that exist after the last sync; the webhook annotates pods with these only. */
  usablePools(): ReadonlySet<string> {
    return new Set(this.poolsInPlace);
  }

  async sync(table: ClusterEgressTable, signal: AbortSignal): Promise<SyncReport> {
    const connection = await this.connect(table);
    if (connection === undefined) {
      return { changed: false, counts: { pools: 0 }, policyConditions: this.conditions() };
    }
    const { calico, pools: client, failClosed } = connection;
    let existing: IPPool[];
    let namespaces;
    try {
      existing = await client.list();
      namespaces = await this.namespaces.list();
    } catch (error) {
      if (isNotFound(error)) this.connected = undefined; // Calico was removed or changed API: detect again.
      const message = `reading IPPools or namespaces failed: ${describeError(error)}`;
      this.failAll(table, 'ListFailed', message);
      throw new SyncFailedError(message, this.conditions(), { cause: error });
    }
    signal.throwIfAborted();

    const conditions = new Map<string, CalicoCondition[]>(table.policies.map((p) => [p.name, []]));
    const add = (policy: string, list: readonly CalicoCondition[]): void => {
      conditions.set(policy, [...(conditions.get(policy) ?? []), ...list]);
    };
    let created = 0;
    let updated = 0;
    let deleted = 0;
    let patched = 0;

    const planned = planPools(table.policies, calico, existing);
    const byName = new Map(existing.map((pool) => [pool.metadata.name, pool]));
    const inPlace = new Map<string, DesiredPool[]>();
    for (const policy of table.policies) {
      const plan = planned.get(policy.name) ?? { pools: [], conditions: [] };
      add(policy.name, plan.conditions);
      const ready: DesiredPool[] = [];
      const failures: string[] = [];
      for (const pool of plan.pools) {
        signal.throwIfAborted();
        const outcome = await ensurePool(client, pool, byName.get(pool.object.metadata.name));
        if (outcome.result === 'failed') {
          failures.push(outcome.message);
          continue;
        }
        if (outcome.result === 'created') created++;
        if (outcome.result === 'updated') updated++;
        ready.push(pool);
      }
      if (failures.length > 0) {
        add(policy.name, [
          condition(
            'CalicoAPIUnavailable',
            'PoolWriteFailed',
            `${failures.length} of ${plan.pools.length} pools could not be written: ${failures.join('; ')}`,
            policy.generation,
          ),
        ]);
        this.options.logger.warn({ egress: policy.name, failures }, 'calico: pool writes failed');
      }
      inPlace.set(policy.name, ready);
      add(policy.name, podConditions(policy, ready));
    }

    const desiredNames = new Set(
      [...planned.values()].flatMap((p) => p.pools.map((d) => d.object.metadata.name)),
    );
    const ourNames = new Set([
      ...existing.filter(isManagedPool).map((p) => p.metadata.name),
      ...desiredNames,
    ]);
    const namespacePlan = planNamespaces(table.policies, inPlace, namespaces, ourNames);
    for (const [policy, list] of namespacePlan.conditions) add(policy, list);
    for (const [namespace, patch] of namespacePlan.patches) {
      signal.throwIfAborted();
      try {
        await this.namespaces.patchAnnotations(namespace, patch);
        patched++;
      } catch (error) {
        this.reportNamespaceFailure(table.policies, namespace, patch, error, add);
      }
    }

    // After the pools it lets through exist, before stale pools go (their addresses stay allowed until then).
    const enforcement = await failClosed.sync(
      table,
      { poolsInPlace: [...inPlace.values()].flat(), existingPools: existing },
      signal,
    );
    for (const [policy, list] of enforcement.conditions) add(policy, list);

    // Stale pools go last, after no namespace asks for them any more.
    for (const pool of existing) {
      if (!isManagedPool(pool) || desiredNames.has(pool.metadata.name)) continue;
      signal.throwIfAborted();
      try {
        await client.delete(pool);
        deleted++;
      } catch (error) {
        if (!isNotFound(error)) {
          this.options.logger.warn(
            { pool: pool.metadata.name, error: describeError(error) },
            'calico: delete failed',
          );
        }
      }
    }

    if (calico.api.group === 'crd.projectcalico.org') {
      for (const policy of table.policies) add(policy.name, [internalApiWarning(policy)]);
    }
    this.lastConditions = new Map([...conditions].map(([name, list]) => [name, normalizeConditions(list)]));
    this.poolsInPlace = new Set(
      [...inPlace.values()].flatMap((list) => list.map((p) => p.object.metadata.name)),
    );
    return {
      changed:
        created +
          updated +
          deleted +
          patched +
          enforcement.created +
          enforcement.updated +
          enforcement.deleted >
        0,
      counts: {
        pools: this.poolsInPlace.size,
        poolsCreated: created,
        poolsUpdated: updated,
        poolsDeleted: deleted,
        namespacesPatched: patched,
        failClosedPolicies: enforcement.enforced,
        failClosedObjectsCreated: enforcement.created,
        failClosedObjectsUpdated: enforcement.updated,
        failClosedObjectsDeleted: enforcement.deleted,
      },
      policyConditions: this.conditions(),
    };
  }

  /** Removes our FailClosed policies, pool annotations (only values we set) and pools; nothing else. */
  async cleanup(signal: AbortSignal): Promise<void> {
    const connection = await this.connect({ policies: [], clusterCIDRs: [] });
    if (connection === undefined) return;
    // Policies first: while they exist, pods whose pool is being removed would be denied.
    await connection.failClosed.cleanup(signal);
    const ours = await connection.pools.list(MANAGED_POOLS_SELECTOR);
    const owned = ours.filter(isManagedPool);
    const namespaces = await this.namespaces.list();
    const plan = planNamespaces([], new Map(), namespaces, new Set(owned.map((p) => p.metadata.name)));
    for (const [namespace, patch] of plan.patches) {
      signal.throwIfAborted();
      await this.namespaces.patchAnnotations(namespace, patch);
    }
    for (const pool of owned) {
      signal.throwIfAborted();
      try {
        await connection.pools.delete(pool);
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
    }
    this.poolsInPlace = new Set();
    this.lastConditions = new Map();
  }

  private async connect(table: ClusterEgressTable): Promise<Connected | undefined> {
    if (this.connected !== undefined) return this.connected;
    const detection = await detectCalicoApi(this.options.kubeConfig);
    if (!detection.available) {
      this.options.logger.warn(
        { reason: detection.reason },
        'calico: API unavailable; no pools can be written',
      );
      this.failAll(table, 'CalicoNotServed', `Calico's API is unavailable: ${detection.reason}`);
      return undefined;
    }
    const { calico } = detection;
    const log = { api: apiVersionOf(calico.api), servedBy: calico.api.servedBy, fencing: calico.fencing };
    if (calico.api.group === 'crd.projectcalico.org') {
      this.options.logger.warn(
        log,
        'calico: only the internal crd.projectcalico.org/v1 API is served; Calico documents it as internal ' +
          '(no validation or defaulting). Install the Calico API server or native v3 CRDs to use projectcalico.org/v3.',
      );
    } else {
      this.options.logger.info(log, 'calico: using the projectcalico.org/v3 API');
    }
    for (const note of detection.notes) this.options.logger.warn(log, `calico: ${note}`);
    this.connected = {
      calico,
      pools: new IPPoolClient(this.options.kubeConfig, calico.api),
      failClosed: new FailClosedEnforcer(this.options.kubeConfig, calico, this.options.logger),
    };
    return this.connected;
  }

  private failAll(table: ClusterEgressTable, reason: string, message: string): void {
    this.lastConditions = new Map(
      table.policies.map((policy) => [
        policy.name,
        [condition('CalicoAPIUnavailable', reason, message, policy.generation)],
      ]),
    );
  }

  private reportNamespaceFailure(
    policies: readonly ClusterPolicyEntry[],
    namespace: string,
    patch: AnnotationPatch,
    error: unknown,
    add: (policy: string, list: readonly CalicoCondition[]) => void,
  ): void {
    this.options.logger.warn(
      { namespace, patch, error: describeError(error) },
      'calico: namespace patch failed',
    );
    for (const policy of policies.filter((p) => p.podSelector === null && p.namespaces.includes(namespace))) {
      add(policy.name, [
        condition(
          'CalicoAPIUnavailable',
          'NamespacePatchFailed',
          `annotating namespace ${namespace} failed: ${describeError(error)}`,
          policy.generation,
        ),
      ]);
    }
  }
}

function internalApiWarning(policy: ClusterPolicyEntry): CalicoCondition {
  return condition(
    'CalicoInternalAPIInUse',
    'OnlyCrdProjectcalicoOrgV1Served',
    'pools are written through crd.projectcalico.org/v1, which Calico documents as internal (no validation, ' +
      'no defaulting); install the Calico API server or the native projectcalico.org/v3 CRDs',
    policy.generation,
  );
}
