/** Where a request under `/api` or `/apis` points. */
export type ApiRoute =
  | { type: 'apiVersions' }
  | { type: 'apiGroupList' }
  | { type: 'apiGroup'; group: string }
  | { type: 'resourceList'; group: string; version: string }
  | ResourceRoute;

export interface ResourceRoute {
  type: 'resource';
  group: string;
  version: string;
  plural: string;
  namespace?: string;
  name?: string;
  subresource?: string;
  /** The legacy `/watch/` path prefix. */
  legacyWatch: boolean;
}

const namespaceSubresources = new Set(['status', 'finalize']);

function resourceRoute(group: string, version: string, rest: string[]): ApiRoute | undefined {
  let legacyWatch = false;
  if (rest[0] === 'watch') {
    legacyWatch = true;
    rest = rest.slice(1);
  }
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3 && !namespaceSubresources.has(rest[2] ?? '')) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [plural, name, subresource, ...extra] = rest;
  if (!plural || extra.length > 0) return undefined;
  return {
    type: 'resource',
    group,
    version,
    plural,
    ...(namespace !== undefined ? { namespace } : {}),
    ...(name !== undefined ? { name } : {}),
    ...(subresource !== undefined ? { subresource } : {}),
    legacyWatch,
  };
}

/** Parses the Kubernetes URL layout; `undefined` means "not an API path" (404 from the caller). */
export function parseApiPath(pathname: string): ApiRoute | undefined {
  const segments = pathname
    .split('/')
    .filter((s) => s !== '')
    .map((s) => decodeURIComponent(s));
  const [root, ...rest] = segments;
  if (root === 'api') {
    if (rest.length === 0) return { type: 'apiVersions' };
    const [version, ...more] = rest;
    if (!version) return undefined;
    if (more.length === 0) return { type: 'resourceList', group: '', version };
    return resourceRoute('', version, more);
  }
  if (root === 'apis') {
    if (rest.length === 0) return { type: 'apiGroupList' };
    const [group, version, ...more] = rest;
    if (!group) return undefined;
    if (!version) return { type: 'apiGroup', group };
    if (more.length === 0) return { type: 'resourceList', group, version };
    return resourceRoute(group, version, more);
  }
  return undefined;
}
