import { createHash } from 'node:crypto';
import { isJsonObject, type JsonObject } from '../api/kube-object.js';
import type { KindRegistry } from '../kinds/kind-registry.js';
import type { ResourceKind } from '../kinds/resource-kind.js';
import type { ObjectStore } from '../store/object-store.js';

/**
 * A minimal OpenAPI v3: kubectl's field-validation probe only needs each resource's PATCH operation with
 * its group/version/kind and a `fieldValidation` parameter; CRD schemas are included so `kubectl explain`
 * works for custom resources. Built-in schemas are absent (kubectl falls back to its compiled-in types).
 */
function gvPath(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

function operation(kind: ResourceKind, verb: string): JsonObject {
  return {
    operationId: `${verb}${kind.kind}`,
    'x-kubernetes-action': verb,
    'x-kubernetes-group-version-kind': { group: kind.group, version: kind.version, kind: kind.kind },
    parameters: [
      { name: 'fieldValidation', in: 'query', schema: { type: 'string', uniqueItems: true } },
      { name: 'fieldManager', in: 'query', schema: { type: 'string', uniqueItems: true } },
      { name: 'dryRun', in: 'query', schema: { type: 'string', uniqueItems: true } },
    ],
    responses: { '200': { description: 'OK' } },
  };
}

function schemaName(kind: ResourceKind): string {
  const reversed = kind.group.split('.').reverse().join('.');
  return `${reversed}.${kind.version}.${kind.kind}`;
}

function crdSchema(store: ObjectStore, kind: ResourceKind): JsonObject | undefined {
  if (!kind.crdName) return undefined;
  const crd = store.get('customresourcedefinitions.apiextensions.k8s.io', undefined, kind.crdName);
  const spec = crd?.['spec'];
  const versions = isJsonObject(spec) && Array.isArray(spec['versions']) ? spec['versions'] : [];
  const version = versions.find((v) => isJsonObject(v) && v['name'] === kind.version);
  const schema =
    isJsonObject(version) && isJsonObject(version['schema'])
      ? version['schema']['openAPIV3Schema']
      : undefined;
  if (!isJsonObject(schema)) return undefined;
  return {
    ...schema,
    'x-kubernetes-group-version-kind': [{ group: kind.group, version: kind.version, kind: kind.kind }],
  };
}

export function openApiGroupVersion(
  registry: KindRegistry,
  store: ObjectStore,
  group: string,
  version: string,
): JsonObject | undefined {
  const kinds = registry.inGroupVersion(group, version);
  if (kinds.length === 0) return undefined;
  const paths: JsonObject = {};
  const schemas: JsonObject = {};
  for (const kind of kinds) {
    const base = `/${gvPath(group, version)}${kind.namespaced ? '/namespaces/{namespace}' : ''}/${kind.plural}`;
    paths[base] = { post: operation(kind, 'post'), get: operation(kind, 'list') };
    paths[`${base}/{name}`] = {
      get: operation(kind, 'get'),
      put: operation(kind, 'put'),
      patch: operation(kind, 'patch'),
      delete: operation(kind, 'delete'),
    };
    if (kind.hasStatusSubresource)
      paths[`${base}/{name}/status`] = {
        get: operation(kind, 'get'),
        put: operation(kind, 'put'),
        patch: operation(kind, 'patch'),
      };
    const schema = crdSchema(store, kind);
    if (schema) schemas[schemaName(kind)] = schema;
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'v1.32.0' },
    paths,
    components: { schemas },
  };
}

export function openApiRoot(registry: KindRegistry, store: ObjectStore): JsonObject {
  const paths: JsonObject = {};
  const groupVersions = new Set(registry.all().map((k) => `${k.group}|${k.version}`));
  for (const gv of groupVersions) {
    const [group = '', version = ''] = gv.split('|');
    const doc = openApiGroupVersion(registry, store, group, version);
    const hash = createHash('sha512').update(JSON.stringify(doc)).digest('hex').slice(0, 64).toUpperCase();
    paths[gvPath(group, version)] = {
      serverRelativeURL: `/openapi/v3/${gvPath(group, version)}?hash=${hash}`,
    };
  }
  return { paths };
}
