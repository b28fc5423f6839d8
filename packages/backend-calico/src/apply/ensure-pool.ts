// Makes one desired pool exist with our fields, without duplicating it when another agent instance races us:
// names are deterministic, so a losing create gets AlreadyExists and adopts the winner's pool.
import type { IPPool } from '../calico/ippool.js';
import { describeError, isAlreadyExists, statusCodeOf } from '../calico/api-errors.js';
import { poolSpecMatches, type DesiredPool } from '../plan/desired-pool.js';
import { isOwnedBy } from '../plan/pool-ownership.js';
import { merged } from './ensure-owned-object.js';
import type { IPPoolClient } from './ippool-client.js';

export type EnsurePoolOutcome =
  | { result: 'unchanged' | 'created' | 'adopted' | 'updated'; pool: IPPool }
  | { result: 'failed'; message: string };

export async function ensurePool(
  client: IPPoolClient,
  desired: DesiredPool,
  existing: IPPool | undefined,
): Promise<EnsurePoolOutcome> {
  try {
    if (existing === undefined) {
      try {
        return { result: 'created', pool: await client.create(desired.object) };
      } catch (error) {
        if (!isAlreadyExists(error)) throw error;
        const current = await client.get(desired.object.metadata.name);
        return await converge(client, desired, current, 'adopted');
      }
    }
    return await converge(client, desired, existing, 'unchanged');
  } catch (error) {
    return { result: 'failed', message: `pool ${desired.object.metadata.name}: ${describeError(error)}` };
  }
}

async function converge(
  client: IPPoolClient,
  desired: DesiredPool,
  current: IPPool,
  whenEqual: 'unchanged' | 'adopted',
): Promise<EnsurePoolOutcome> {
  for (let attempt = 0; ; attempt++) {
    if (!isOwnedBy(current, desired.egressName) || current.spec.cidr !== desired.object.spec.cidr) {
      return {
        result: 'failed',
        message: `pool ${current.metadata.name} exists with cidr ${current.spec.cidr} and is not this Egress's; left untouched`,
      };
    }
    if (poolSpecMatches(current, desired.object)) return { result: whenEqual, pool: current };
    try {
      return { result: 'updated', pool: await client.replace(merged(current, desired.object)) };
    } catch (error) {
      // Someone changed it between our read and write: read again and retry once.
      if (statusCodeOf(error) !== 409 || attempt > 0) throw error;
      current = await client.get(desired.object.metadata.name);
    }
  }
}
