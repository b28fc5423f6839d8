// Makes one desired Calico object exist with our labels and spec fields, by difference: unchanged objects are
// not written, a create that loses a race adopts the winner's object, and an object with our name that is
// not ours is left alone.
import { isDeepStrictEqual } from 'node:util';
import { describeError, isAlreadyExists, statusCodeOf } from '../calico/api-errors.js';
import type { CalicoObject, CalicoObjectClient } from './calico-object-client.js';

export type EnsureOutcome =
  { result: 'unchanged' | 'created' | 'adopted' | 'updated' } | { result: 'failed'; message: string };

export async function ensureOwnedObject<T extends CalicoObject>(
  client: CalicoObjectClient<T>,
  desired: T,
  existing: T | undefined,
  isOurs: (object: T) => boolean,
): Promise<EnsureOutcome> {
  const what = `${desired.kind} ${desired.metadata.name}`;
  try {
    if (existing === undefined) {
      try {
        await client.create(desired);
        return { result: 'created' };
      } catch (error) {
        if (!isAlreadyExists(error)) throw error;
        return await converge(client, desired, await client.get(desired.metadata.name), isOurs, 'adopted');
      }
    }
    return await converge(client, desired, existing, isOurs, 'unchanged');
  } catch (error) {
    return { result: 'failed', message: `${what}: ${describeError(error)}` };
  }
}

async function converge<T extends CalicoObject>(
  client: CalicoObjectClient<T>,
  desired: T,
  current: T,
  isOurs: (object: T) => boolean,
  whenEqual: 'unchanged' | 'adopted',
): Promise<EnsureOutcome> {
  for (let attempt = 0; ; attempt++) {
    if (!isOurs(current)) {
      return {
        result: 'failed',
        message: `${desired.kind} ${current.metadata.name} exists and is not ours; left untouched`,
      };
    }
    if (matches(current, desired)) return { result: whenEqual };
    try {
      await client.replace(merged(current, desired));
      return { result: 'updated' };
    } catch (error) {
      // Someone changed it between our read and write: read again and retry once.
      if (statusCodeOf(error) !== 409 || attempt > 0) throw error;
      current = await client.get(desired.metadata.name);
    }
  }
}

/** True when `actual` has every spec field, label and annotation of `desired` as we would write it. */
function matches(actual: CalicoObject, desired: CalicoObject): boolean {
  const spec = actual.spec as Record<string, unknown>;
  const fieldsMatch = Object.entries(desired.spec).every(([field, value]) =>
    isDeepStrictEqual(spec[field], value),
  );
  const mapMatches = (have: Record<string, string> = {}, want: Record<string, string> = {}): boolean =>
    Object.entries(want).every(([key, value]) => have[key] === value);
  return (
    fieldsMatch &&
    mapMatches(actual.metadata.labels, desired.metadata.labels) &&
    mapMatches(actual.metadata.annotations, desired.metadata.annotations)
  );
}

/** The current object with our labels, annotations and spec fields laid over it (others' fields kept). */
export function merged<T extends CalicoObject>(current: T, desired: T): T {
  return {
    ...current,
    metadata: {
      ...current.metadata,
      labels: { ...current.metadata.labels, ...desired.metadata.labels },
      annotations: { ...current.metadata.annotations, ...desired.metadata.annotations },
    },
    spec: { ...current.spec, ...desired.spec },
  };
}
