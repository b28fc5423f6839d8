import { isJsonObject, type KubeObject } from '../api/kube-object.js';
import { parse as parseYaml } from 'yaml';
import { badRequest, invalid, StatusError, type StatusCause } from '../api/status-error.js';
import { apiVersionOf, type ResourceKind } from '../kinds/resource-kind.js';

const dns1123Subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Kinds whose names are not DNS subdomains in the real API (RBAC names may contain ':'; nodes are checked loosely). */
const relaxedNameKinds = new Set(['Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding']);

/**
 * Parses a request body (JSON or YAML) into an object, rejecting non-objects the way the decoder does.
 */
export function decodeObject(body: string, contentType = 'application/json'): KubeObject {
  const mediaType = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  const yaml = mediaType === 'application/yaml';
  if (mediaType !== 'application/json' && !yaml && mediaType !== '')
    throw new StatusError(
      415,
      'UnsupportedMediaType',
      `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml`,
    );
  let parsed: unknown;
  try {
    parsed = yaml ? parseYaml(body) : JSON.parse(body);
  } catch (e) {
    throw badRequest(`error decoding request body: ${(e as Error).message}`);
  }
  if (!isJsonObject(parsed)) throw badRequest('Object cannot be decoded: the body is not a JSON object');
  if (parsed['metadata'] === undefined) parsed['metadata'] = {};
  if (!isJsonObject(parsed['metadata'])) throw badRequest('metadata must be an object');
  return parsed as unknown as KubeObject;
}

/**
 * Checks identity fields of a written object against the endpoint it was sent to: apiVersion and namespace
 * mismatches are 400 like the real decoder; kind and name problems are 422 Invalid with field causes.
 */
export function checkIdentity(
  kind: ResourceKind,
  object: KubeObject,
  urlNamespace: string | undefined,
  creating: boolean,
): void {
  const expectedApiVersion = apiVersionOf(kind);
  if (object.apiVersion !== undefined && object.apiVersion !== expectedApiVersion)
    throw badRequest(
      `the API version in the data (${object.apiVersion}) does not match the expected API version (${expectedApiVersion})`,
    );
  const name = object.metadata.name ?? '';
  const causes: StatusCause[] = [];
  if (object.kind !== undefined && object.kind !== kind.kind)
    causes.push({
      reason: 'FieldValueInvalid',
      field: 'kind',
      message: `Invalid value: "${object.kind}": must be ${kind.kind}`,
    });
  if (!name && !(creating && object.metadata.generateName))
    causes.push({
      reason: 'FieldValueRequired',
      field: 'metadata.name',
      message: 'Required value: name or generateName is required',
    });
  else if (name && !relaxedNameKinds.has(kind.kind) && (name.length > 253 || !dns1123Subdomain.test(name)))
    causes.push({
      reason: 'FieldValueInvalid',
      field: 'metadata.name',
      message: `Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
    });
  if (kind.namespaced) {
    if (object.metadata.namespace && urlNamespace && object.metadata.namespace !== urlNamespace)
      throw badRequest(
        'the namespace of the provided object does not match the namespace sent on the request',
      );
  }
  if (causes.length > 0)
    throw invalid(kind.kind, kind.group, name || object.metadata.generateName || '', causes);
}
