import type { JsonObject } from '../api/kube-object.js';
import type { KindRegistry } from '../kinds/kind-registry.js';
import { standardVerbs, type ResourceKind } from '../kinds/resource-kind.js';

/** The Kubernetes version this server claims: the kubectl on these machines is 1.32. */
export const serverVersion = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.0-egress-proxier-testing',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2025-01-01T00:00:00Z',
  goVersion: 'go1.23.4',
  compiler: 'gc',
  platform: 'linux/amd64',
};

export function apiVersions(serverAddress: string): JsonObject {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

function apiGroup(registry: KindRegistry, group: string): JsonObject {
  const versions = registry
    .groupVersions(group)
    .map((version) => ({ groupVersion: `${group}/${version}`, version }));
  return { kind: 'APIGroup', apiVersion: 'v1', name: group, versions, preferredVersion: versions[0] ?? null };
}

export function apiGroupList(registry: KindRegistry): JsonObject {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: registry.groups().map((g) => apiGroup(registry, g)),
  };
}

export function apiGroupOrUndefined(registry: KindRegistry, group: string): JsonObject | undefined {
  return registry.groupVersions(group).length > 0 ? apiGroup(registry, group) : undefined;
}

function resourceEntries(kind: ResourceKind): JsonObject[] {
  const main: JsonObject = {
    name: kind.plural,
    singularName: kind.singular,
    namespaced: kind.namespaced,
    kind: kind.kind,
    verbs: standardVerbs,
  };
  if (kind.shortNames.length > 0) main['shortNames'] = kind.shortNames;
  if (kind.categories.length > 0) main['categories'] = kind.categories;
  const entries = [main];
  if (kind.hasStatusSubresource)
    entries.push({
      name: `${kind.plural}/status`,
      singularName: '',
      namespaced: kind.namespaced,
      kind: kind.kind,
      verbs: ['get', 'patch', 'update'],
    });
  return entries;
}

export function apiResourceList(
  registry: KindRegistry,
  group: string,
  version: string,
): JsonObject | undefined {
  const kinds = registry.inGroupVersion(group, version);
  if (kinds.length === 0) return undefined;
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: group ? `${group}/${version}` : version,
    resources: kinds.flatMap(resourceEntries),
  };
}
