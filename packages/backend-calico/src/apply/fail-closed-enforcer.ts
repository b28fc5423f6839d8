// Keeps the FailClosed Tier and GlobalNetworkPolicies (plan/desired-fail-closed.ts) in the cluster: writes
// by difference, deletes exactly the objects labelled ours that no Egress needs, and turns every problem into
// a FailClosedNotEnforced condition on the FailClosed Egresses it concerns (others are never disturbed).
import type { ClusterEgressTable, ClusterPolicyEntry, ProxierContext } from '@egress-proxier/core';
import type { KubeConfig } from '@kubernetes/client-node';
import { describeError, isNotFound } from '../calico/api-errors.js';
import type { CalicoApi } from '../calico/calico-api.js';
import {
  GLOBAL_NETWORK_POLICY_PLURAL,
  TIER_PLURAL,
  type GlobalNetworkPolicy,
  type Tier,
} from '../calico/global-network-policy.js';
import {
  MANAGED_BY_LABEL,
  MANAGED_BY_VALUE,
  MANAGED_POOLS_SELECTOR,
  OWNER_LABEL,
  ownerLabelValue,
} from '../calico/ownership.js';
import { condition, type CalicoCondition } from '../plan/conditions.js';
import {
  planFailClosed,
  type DesiredFailClosedPolicy,
  type FailClosedInputs,
} from '../plan/desired-fail-closed.js';
import { PASS_POLICY_NAME } from '../plan/fail-closed-naming.js';
import { CalicoObjectClient } from './calico-object-client.js';
import { ensureOwnedObject } from './ensure-owned-object.js';

export interface FailClosedSyncResult {
  created: number;
  updated: number;
  deleted: number;
  /** Deny policies in place, one per FailClosed Egress that is enforced. */
  enforced: number;
  conditions: Map<string, CalicoCondition[]>;
}

interface Existing {
  tiers: Tier[];
  policies: GlobalNetworkPolicy[];
}

export class FailClosedEnforcer {
  private readonly tiers: CalicoObjectClient<Tier>;
  private readonly policies: CalicoObjectClient<GlobalNetworkPolicy>;

  constructor(
    kubeConfig: KubeConfig,
    private readonly calico: CalicoApi,
    private readonly logger: ProxierContext['logger'],
  ) {
    this.tiers = new CalicoObjectClient(kubeConfig, calico.api, TIER_PLURAL);
    this.policies = new CalicoObjectClient(kubeConfig, calico.api, GLOBAL_NETWORK_POLICY_PLURAL);
  }

  async sync(
    table: ClusterEgressTable,
    inputs: FailClosedInputs,
    signal: AbortSignal,
  ): Promise<FailClosedSyncResult> {
    const failClosed = table.policies.filter((p) => p.failurePolicy === 'FailClosed');
    const result: FailClosedSyncResult = {
      created: 0,
      updated: 0,
      deleted: 0,
      enforced: 0,
      conditions: new Map(),
    };
    const failAll = (reason: string, message: string): FailClosedSyncResult => {
      for (const policy of failClosed)
        result.conditions.set(policy.name, [notEnforced(policy, reason, message)]);
      return result;
    };
    if (this.calico.api.group !== 'projectcalico.org') {
      // The internal group stores policies under other names and rules; we write only the documented API.
      return failAll(
        'RequiresProjectcalicoOrgV3',
        'denying traffic from outside the pools needs a GlobalNetworkPolicy in projectcalico.org/v3, which is not served',
      );
    }
    const plan = planFailClosed(table, this.calico, inputs);
    let existing: Existing;
    try {
      existing = await this.listOurs();
    } catch (error) {
      if (plan.tier === undefined) return result; // Nothing to enforce, and nothing of ours can be listed.
      if (isNotFound(error)) {
        return failAll(
          'PolicyCrdNotServed',
          `${GLOBAL_NETWORK_POLICY_PLURAL}.projectcalico.org or ${TIER_PLURAL}.projectcalico.org is not served ` +
            `(${describeError(error)}); pods outside the pools are not denied`,
        );
      }
      return failAll('ListFailed', `reading Calico tiers and policies failed: ${describeError(error)}`);
    }
    signal.throwIfAborted();

    if (plan.tier !== undefined) {
      const tier = await ensureOwnedObject(
        this.tiers,
        plan.tier,
        byName(existing.tiers, plan.tier),
        isManaged,
      );
      if (tier.result === 'failed') {
        this.logger.warn({ failure: tier.message }, 'calico: FailClosed tier write failed');
        return failAll('TierWriteFailed', `${tier.message}; pods outside the pools are not denied`);
      }
      this.count(result, tier.result);
    }
    for (const desired of plan.policies) {
      signal.throwIfAborted();
      const outcome = await ensureOwnedObject(
        this.policies,
        desired.object,
        byName(existing.policies, desired.object),
        (current) => isOwnPolicy(current, desired),
      );
      if (outcome.result !== 'failed') {
        this.count(result, outcome.result);
        if (desired.egressName !== null) result.enforced++;
        continue;
      }
      this.logger.warn({ failure: outcome.message }, 'calico: FailClosed policy write failed');
      const concerned = failClosed.filter(
        (p) => desired.egressName === null || p.name === desired.egressName,
      );
      for (const policy of concerned) {
        const list = result.conditions.get(policy.name) ?? [];
        result.conditions.set(policy.name, [
          ...list,
          notEnforced(policy, 'PolicyWriteFailed', outcome.message),
        ]);
      }
    }

    const wanted = new Set(plan.policies.map((p) => p.object.metadata.name));
    for (const stale of existing.policies.filter((p) => !wanted.has(p.metadata.name))) {
      signal.throwIfAborted();
      if (await this.deleteQuietly(this.policies, stale)) result.deleted++;
    }
    // The tier goes last, once nothing of ours is in it; a tier someone put policies into refuses to go.
    if (plan.tier === undefined) {
      for (const tier of existing.tiers) if (await this.deleteQuietly(this.tiers, tier)) result.deleted++;
    }
    return result;
  }

  /** Deletes every policy and tier labelled ours; nothing else. Quiet when Calico serves no policy API. */
  async cleanup(signal: AbortSignal): Promise<void> {
    let existing: Existing;
    try {
      existing = await this.listOurs();
    } catch (error) {
      if (isNotFound(error)) return;
      throw error;
    }
    for (const policy of existing.policies) {
      signal.throwIfAborted();
      await ignoreNotFound(this.policies.delete(policy));
    }
    for (const tier of existing.tiers) await ignoreNotFound(this.tiers.delete(tier));
  }

  private async listOurs(): Promise<Existing> {
    const [tiers, policies] = await Promise.all([
      this.tiers.list(MANAGED_POOLS_SELECTOR),
      this.policies.list(MANAGED_POOLS_SELECTOR),
    ]);
    // The label selector is the server's filter; check again, as for pools.
    return { tiers: tiers.filter(isManaged), policies: policies.filter(isManaged) };
  }

  private count(
    result: FailClosedSyncResult,
    outcome: 'unchanged' | 'created' | 'adopted' | 'updated',
  ): void {
    if (outcome === 'created') result.created++;
    if (outcome === 'updated') result.updated++;
  }

  private async deleteQuietly<T extends Tier | GlobalNetworkPolicy>(
    client: CalicoObjectClient<T>,
    object: T,
  ): Promise<boolean> {
    try {
      await client.delete(object);
      return true;
    } catch (error) {
      if (!isNotFound(error)) {
        this.logger.warn(
          { kind: object.kind, name: object.metadata.name, error: describeError(error) },
          'calico: delete failed',
        );
      }
      return false;
    }
  }
}

function isManaged(object: Tier | GlobalNetworkPolicy): boolean {
  return object.metadata.labels?.[MANAGED_BY_LABEL] === MANAGED_BY_VALUE;
}

function isOwnPolicy(current: GlobalNetworkPolicy, desired: DesiredFailClosedPolicy): boolean {
  if (!isManaged(current)) return false;
  if (desired.egressName === null) return current.metadata.name === PASS_POLICY_NAME;
  return current.metadata.labels?.[OWNER_LABEL] === ownerLabelValue(desired.egressName);
}

function byName<T extends Tier | GlobalNetworkPolicy>(list: readonly T[], desired: T): T | undefined {
  return list.find((object) => object.metadata.name === desired.metadata.name);
}

function notEnforced(policy: ClusterPolicyEntry, reason: string, message: string): CalicoCondition {
  return condition('FailClosedNotEnforced', reason, message, policy.generation);
}

async function ignoreNotFound(promise: Promise<void>): Promise<void> {
  try {
    await promise;
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
}
