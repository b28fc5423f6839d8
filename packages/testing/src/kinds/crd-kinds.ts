import { isJsonObject, type JsonObject, type JsonValue, type KubeObject } from '../api/kube-object.js';
import type { StatusCause } from '../api/status-error.js';
import { CustomResourceSchema } from '../schema/custom-resource.js';
import type { StructuralSchema } from '../schema/structural-schema.js';
import type { PrinterColumn, ResourceKind } from './resource-kind.js';

const columnTypes = new Set(['string', 'integer', 'number', 'boolean', 'date']);

function str(value: JsonValue | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function strings(value: JsonValue | undefined): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** Structural checks the real server makes before accepting a CRD; returns 422 causes. */
export function validateCrd(crd: KubeObject): StatusCause[] {
  const causes: StatusCause[] = [];
  const spec = crd['spec'];
  if (!isJsonObject(spec))
    return [{ reason: 'FieldValueRequired', field: 'spec', message: 'Required value' }];
  const group = str(spec['group']);
  const names = isJsonObject(spec['names']) ? spec['names'] : undefined;
  const plural = names ? str(names['plural']) : undefined;
  if (!group) causes.push({ reason: 'FieldValueRequired', field: 'spec.group', message: 'Required value' });
  if (!plural)
    causes.push({ reason: 'FieldValueRequired', field: 'spec.names.plural', message: 'Required value' });
  if (!names || !str(names['kind']))
    causes.push({ reason: 'FieldValueRequired', field: 'spec.names.kind', message: 'Required value' });
  const scope = str(spec['scope']);
  if (scope !== 'Namespaced' && scope !== 'Cluster')
    causes.push({
      reason: 'FieldValueNotSupported',
      field: 'spec.scope',
      message: `Unsupported value: "${scope ?? ''}": supported values: "Cluster", "Namespaced"`,
    });
  const versions = Array.isArray(spec['versions']) ? spec['versions'].filter(isJsonObject) : [];
  if (versions.length === 0)
    causes.push({
      reason: 'FieldValueRequired',
      field: 'spec.versions',
      message: 'Required value: must have exactly one version marked as storage version',
    });
  else if (versions.filter((v) => v['storage'] === true).length !== 1)
    causes.push({
      reason: 'FieldValueInvalid',
      field: 'spec.versions',
      message: 'Invalid value: must have exactly one version marked as storage version',
    });
  if (group && plural && crd.metadata.name !== `${plural}.${group}`)
    causes.push({
      reason: 'FieldValueInvalid',
      field: 'metadata.name',
      message: `Invalid value: "${crd.metadata.name ?? ''}": must be spec.names.plural+"."+spec.group`,
    });
  return causes;
}

function printerColumns(version: JsonObject): PrinterColumn[] | undefined {
  const raw = version['additionalPrinterColumns'];
  if (!Array.isArray(raw)) return undefined;
  return raw.filter(isJsonObject).map((c) => {
    const type = str(c['type']) ?? 'string';
    return {
      name: str(c['name']) ?? '',
      type: (columnTypes.has(type) ? type : 'string') as PrinterColumn['type'],
      jsonPath: str(c['jsonPath']) ?? '',
      ...(str(c['description']) ? { description: str(c['description']) } : {}),
      ...(str(c['format']) ? { format: str(c['format']) } : {}),
      ...(typeof c['priority'] === 'number' ? { priority: c['priority'] } : {}),
    };
  });
}

function openApiSchemaOf(version: JsonObject): StructuralSchema | undefined {
  const schema = isJsonObject(version['schema']) ? version['schema']['openAPIV3Schema'] : undefined;
  return isJsonObject(schema) ? (schema as unknown as StructuralSchema) : undefined;
}

/**
 * The kinds a (validated) CRD serves: one per served version, each with its compiled schema. Throws
 * RuleCompileError for a rule that does not compile, Error for a schema this server cannot enforce.
 */
export function kindsFromCrd(crd: KubeObject): ResourceKind[] {
  const spec = crd['spec'] as JsonObject;
  const names = spec['names'] as JsonObject;
  const kind = str(names['kind']) ?? '';
  const versions = (spec['versions'] as JsonValue[]).filter(isJsonObject);
  return versions
    .filter((v) => v['served'] !== false)
    .map((v) => {
      const subresources = isJsonObject(v['subresources']) ? v['subresources'] : {};
      const hasStatus = isJsonObject(subresources['status']);
      const columns = printerColumns(v);
      const schema = openApiSchemaOf(v);
      return {
        group: str(spec['group']) ?? '',
        version: str(v['name']) ?? '',
        kind,
        listKind: str(names['listKind']) ?? `${kind}List`,
        plural: str(names['plural']) ?? '',
        singular: str(names['singular']) ?? kind.toLowerCase(),
        namespaced: spec['scope'] === 'Namespaced',
        shortNames: strings(names['shortNames']),
        categories: strings(names['categories']),
        hasStatusSubresource: hasStatus,
        statusOnCreate: hasStatus ? 'drop' : 'keep',
        ...(columns ? { printerColumns: columns } : {}),
        crdName: crd.metadata.name ?? '',
        ...(schema ? { schema: new CustomResourceSchema(schema) } : {}),
      } satisfies ResourceKind;
    });
}

/** What the apiextensions controllers write once a CRD's names are accepted and it is serving. */
export function establishedCrdStatus(crd: KubeObject, now: string): JsonObject {
  const spec = crd['spec'] as JsonObject;
  const condition = (type: string, reason: string, message: string): JsonObject => ({
    type,
    status: 'True',
    lastTransitionTime: now,
    reason,
    message,
  });
  const versions = (spec['versions'] as JsonValue[]).filter(isJsonObject);
  return {
    conditions: [
      condition('NamesAccepted', 'NoConflicts', 'no conflicts found'),
      condition('Established', 'InitialNamesAccepted', 'the initial names have been accepted'),
    ],
    acceptedNames: spec['names'] as JsonObject,
    storedVersions: versions.filter((v) => v['storage'] === true).map((v) => str(v['name']) ?? ''),
  };
}
