// Pruning as kube-apiserver does it for a structural schema: fields the schema does not declare are dropped
// (unless x-kubernetes-preserve-unknown-fields), and their paths are reported for fieldValidation.
import { isPlainObject, type StructuralSchema } from './structural-schema.js';

/** Always kept at the root of a resource, whatever the schema says. */
const ROOT_FIELDS = new Set(['apiVersion', 'kind', 'metadata']);

export interface Pruned {
  value: Record<string, unknown>;
  /** `spec.foo`, `spec.list[0].bar`: sorted, as the strict decoding error lists them. */
  unknownFields: string[];
}

export function pruneObject(object: Record<string, unknown>, root: StructuralSchema): Pruned {
  const unknownFields: string[] = [];
  const value: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(object)) {
    if (ROOT_FIELDS.has(key)) value[key] = structuredClone(child);
    else if (root.properties?.[key] !== undefined)
      value[key] = prune(child, root.properties[key] as StructuralSchema, key, unknownFields);
    else if (root['x-kubernetes-preserve-unknown-fields']) value[key] = structuredClone(child);
    else unknownFields.push(key);
  }
  return { value, unknownFields: unknownFields.sort() };
}

function prune(value: unknown, schema: StructuralSchema, path: string, unknown: string[]): unknown {
  if (Array.isArray(value)) {
    const items = schema.items;
    return items === undefined
      ? structuredClone(value)
      : value.map((item, i) => prune(item, items, `${path}[${i}]`, unknown));
  }
  if (!isPlainObject(value)) return value;
  const preserve = schema['x-kubernetes-preserve-unknown-fields'] === true;
  const result: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    const childSchema = schema.properties?.[key] ?? schema.additionalProperties;
    const childPath = `${path}.${key}`;
    if (childSchema !== undefined) result[key] = prune(child, childSchema, childPath, unknown);
    else if (preserve) result[key] = structuredClone(child);
    else unknown.push(childPath);
  }
  return result;
}
