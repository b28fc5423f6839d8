// apiextensions' listtype validation: x-kubernetes-list-type set items and map keys must be unique. Only the
// first repeat of a value is reported, at its index, as the real server does.
import { fieldError, type FieldError } from './field-errors.js';
import { FieldPath } from './field-path.js';
import { goJson } from './go-format.js';
import { isPlainObject, type StructuralSchema } from './structural-schema.js';

export function validateListTypes(object: Record<string, unknown>, root: StructuralSchema): FieldError[] {
  return walkObject(object, root, FieldPath.root);
}

function walkObject(value: Record<string, unknown>, schema: StructuralSchema, path: FieldPath): FieldError[] {
  const errors: FieldError[] = [];
  for (const [key, child] of Object.entries(value)) {
    const property = schema.properties?.[key];
    if (property !== undefined) errors.push(...walk(child, property, path.child(key)));
    else if (schema.additionalProperties !== undefined)
      errors.push(...walk(child, schema.additionalProperties, path.key(key)));
  }
  return errors;
}

function walk(value: unknown, schema: StructuralSchema, path: FieldPath): FieldError[] {
  if (isPlainObject(value)) return walkObject(value, schema, path);
  if (!Array.isArray(value)) return [];
  const errors: FieldError[] = [];
  const listType = schema['x-kubernetes-list-type'];
  if (listType === 'set') {
    for (const i of firstRepeats(value.map((item) => goJson(item))))
      errors.push(fieldError.duplicate(path.index(i), value[i]));
  } else if (listType === 'map') {
    const keys = schema['x-kubernetes-list-map-keys'] ?? [];
    const bad = value.findIndex((item) => item !== null && !isPlainObject(item));
    if (bad >= 0)
      return [
        fieldError.invalid(path.index(bad), value[bad], 'must be an object for an array of list-type map'),
      ];
    const identities = value.map((item) => {
      const entry = isPlainObject(item) ? item : {};
      return Object.fromEntries(keys.filter((k) => k in entry).map((k) => [k, entry[k]]));
    });
    for (const i of firstRepeats(identities.map((identity) => goJson(identity))))
      errors.push(fieldError.duplicate(path.index(i), identities[i]));
  }
  const items = schema.items;
  if (items !== undefined) value.forEach((item, i) => errors.push(...walk(item, items, path.index(i))));
  return errors;
}

/** Indexes where a value is seen for the second time (later repeats are not reported again). */
function firstRepeats(identities: string[]): number[] {
  const seen = new Map<string, number>();
  const repeats: number[] = [];
  identities.forEach((identity, i) => {
    const times = seen.get(identity) ?? 0;
    if (times === 1) repeats.push(i);
    seen.set(identity, times + 1);
  });
  return repeats;
}
