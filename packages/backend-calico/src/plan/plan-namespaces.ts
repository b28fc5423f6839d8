// The Calico pool annotations on namespaces, for policies that select whole namespaces (no podSelector).
// Only our keys are ever patched; a value is ours when the namespace carries our marker and the value lists
// nothing but our pools. Values someone else set are never changed or removed.
import type { ClusterPolicyEntry } from '@egress-proxier/core';
import { IPV4_POOLS_ANNOTATION, IPV6_POOLS_ANNOTATION, POOLS_OWNER_ANNOTATION } from '../calico/ownership.js';
import { condition, type CalicoCondition } from './conditions.js';
import type { DesiredPool } from './desired-pool.js';

export interface NamespaceAnnotations {
  name: string;
  annotations: Readonly<Record<string, string>>;
}

/** A merge patch of `metadata.annotations`: a string sets a key, null removes it. */
export type AnnotationPatch = Record<string, string | null>;

export interface NamespacePlan {
  patches: Map<string, AnnotationPatch>;
  conditions: Map<string, CalicoCondition[]>;
}

interface NamespaceRequest {
  owner: string;
  [IPV4_POOLS_ANNOTATION]: string | null;
  [IPV6_POOLS_ANNOTATION]: string | null;
}

const POOL_KEYS = [IPV4_POOLS_ANNOTATION, IPV6_POOLS_ANNOTATION] as const;

export function planNamespaces(
  policies: readonly ClusterPolicyEntry[],
  poolsByPolicy: ReadonlyMap<string, readonly DesiredPool[]>,
  namespaces: readonly NamespaceAnnotations[],
  ourPoolNames: ReadonlySet<string>,
): NamespacePlan {
  const conditions = new Map<string, CalicoCondition[]>();
  const addCondition = (policy: string, c: CalicoCondition): void => {
    conditions.set(policy, [...(conditions.get(policy) ?? []), c]);
  };
  const requests = new Map<string, NamespaceRequest>();
  const conflicts = new Map<string, { policy: ClusterPolicyEntry; namespaces: string[] }>();
  for (const policy of policies) {
    const pools = poolsByPolicy.get(policy.name) ?? [];
    if (policy.podSelector !== null || pools.length === 0) continue;
    const request: NamespaceRequest = {
      owner: policy.name,
      [IPV4_POOLS_ANNOTATION]: poolList(pools, 4),
      [IPV6_POOLS_ANNOTATION]: poolList(pools, 6),
    };
    for (const namespace of policy.namespaces) {
      const earlier = requests.get(namespace);
      if (earlier === undefined) {
        requests.set(namespace, request);
      } else {
        const entry = conflicts.get(policy.name) ?? { policy, namespaces: [] };
        entry.namespaces.push(`${namespace} (kept by ${earlier.owner})`);
        conflicts.set(policy.name, entry);
      }
    }
  }
  for (const { policy, namespaces: lost } of conflicts.values()) {
    addCondition(
      policy.name,
      condition(
        'PoolSelectionConflict',
        'NamespaceClaimedByOtherEgress',
        `${lost.length} of ${policy.namespaces.length} namespaces are already requested by another Egress: ${lost.join(', ')}`,
        policy.generation,
      ),
    );
  }

  const patches = new Map<string, AnnotationPatch>();
  const foreign = new Map<string, string[]>();
  for (const namespace of namespaces) {
    const request = requests.get(namespace.name);
    const annotations = namespace.annotations;
    const markedByUs = annotations[POOLS_OWNER_ANNOTATION] !== undefined;
    const isOurs = (key: string): boolean =>
      annotations[key] === undefined || (markedByUs && listsOnly(annotations[key], ourPoolNames));
    const patch: AnnotationPatch = {};
    if (request !== undefined) {
      const blocked = POOL_KEYS.filter((key) => !isOurs(key));
      if (blocked.length > 0) {
        foreign.set(request.owner, [...(foreign.get(request.owner) ?? []), namespace.name]);
        continue;
      }
      for (const key of POOL_KEYS) setIfDifferent(patch, annotations, key, request[key]);
      setIfDifferent(patch, annotations, POOLS_OWNER_ANNOTATION, request.owner);
    } else if (markedByUs) {
      for (const key of POOL_KEYS) if (annotations[key] !== undefined && isOurs(key)) patch[key] = null;
      patch[POOLS_OWNER_ANNOTATION] = null;
    }
    if (Object.keys(patch).length > 0) patches.set(namespace.name, patch);
  }
  for (const [owner, names] of foreign) {
    const policy = policies.find((p) => p.name === owner);
    addCondition(
      owner,
      condition(
        'NamespaceAnnotatedByOthers',
        'ForeignPoolAnnotation',
        `${names.length} of ${policy?.namespaces.length ?? names.length} namespaces already carry a Calico pool ` +
          `annotation set by someone else and were left as they are: ${names.join(', ')}`,
        policy?.generation ?? 0,
      ),
    );
  }
  return { patches, conditions };
}

function poolList(pools: readonly DesiredPool[], family: 4 | 6): string | null {
  const names = pools.filter((pool) => pool.family === family).map((pool) => pool.object.metadata.name);
  return names.length === 0 ? null : JSON.stringify(names);
}

function setIfDifferent(
  patch: AnnotationPatch,
  annotations: Readonly<Record<string, string>>,
  key: string,
  value: string | null,
): void {
  if ((annotations[key] ?? null) !== value) patch[key] = value;
}

/** True when `value` is a JSON list of names, all in `names` (so it is a value we wrote). */
export function listsOnly(value: string | undefined, names: ReadonlySet<string>): boolean {
  if (value === undefined) return true;
  try {
    const parsed: unknown = JSON.parse(value);
    return Array.isArray(parsed) && parsed.every((entry) => typeof entry === 'string' && names.has(entry));
  } catch {
    return false;
  }
}
