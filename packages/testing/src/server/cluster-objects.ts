import type { KubeObject, StoredObject } from '../api/kube-object.js';
import { badRequest } from '../api/status-error.js';
import type { ResourceKind } from '../kinds/resource-kind.js';
import type { ResourceService } from '../store/resource-service.js';

/**
 * Direct store access for test setup: objects go through the same server semantics (uid, rv, events to
 * watchers, schema validation of custom resources) but writes are privileged — status is kept as given, as
 * if its controller had written it. Unknown fields fail as with kubectl (Strict): a fixture with a field
 * the CRD does not have is a fixture bug, not something to prune quietly.
 */
const setup = { privileged: true, fieldValidation: 'Strict' } as const;

export class ClusterObjects {
  constructor(private readonly service: ResourceService) {}

  private kindOf(apiVersion: string, kind: string): ResourceKind {
    const found = this.service.registry.byKind(apiVersion, kind);
    if (!found) throw badRequest(`no kind "${kind}" is registered for version "${apiVersion}"`);
    return found;
  }

  /** Creates the object, or replaces the existing one unconditionally. */
  put(object: KubeObject): StoredObject {
    const kind = this.kindOf(object.apiVersion ?? '', object.kind ?? '');
    const name = object.metadata.name;
    const existing = name
      ? this.get(object.apiVersion ?? '', kind.kind, name, object.metadata.namespace)
      : undefined;
    if (!existing) return this.service.create(kind, object.metadata.namespace, object, setup);
    const replacement: KubeObject = {
      ...object,
      metadata: { ...object.metadata, resourceVersion: existing.metadata.resourceVersion },
    };
    return this.service.update(kind, object.metadata.namespace, existing.metadata.name, replacement, setup);
  }

  get(apiVersion: string, kind: string, name: string, namespace?: string): StoredObject | undefined {
    try {
      return this.service.get(this.kindOf(apiVersion, kind), namespace, name);
    } catch (e) {
      if ((e as { code?: number }).code === 404) return undefined;
      throw e;
    }
  }

  list(apiVersion: string, kind: string, namespace?: string): StoredObject[] {
    return this.service.list(this.kindOf(apiVersion, kind), namespace, { labels: [], fields: [] }).items;
  }

  /** Deletes like the API does: objects with finalizers only get a deletionTimestamp. */
  delete(apiVersion: string, kind: string, name: string, namespace?: string): StoredObject {
    return this.service.delete(this.kindOf(apiVersion, kind), namespace, name);
  }

  /** The cluster-wide resourceVersion counter as it stands. */
  resourceVersion(): number {
    return this.service.store.currentResourceVersion();
  }
}
