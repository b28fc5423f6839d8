// A JSON value as CEL sees it under its schema (apiextensions' UnstructuredToVal): integers are CEL ints
// (bigint here), numbers doubles, objects maps whose absent fields `has()` tests, lists lists.
import { isPlainObject, propertySchema, type StructuralSchema } from '../structural-schema.js';

export function toCel(value: unknown, schema: StructuralSchema | undefined): unknown {
  if (typeof value === 'number') {
    const integer = schema?.type === 'integer' || schema?.['x-kubernetes-int-or-string'] === true;
    return integer && Number.isInteger(value) ? BigInt(value) : value;
  }
  if (Array.isArray(value)) return value.map((item) => toCel(item, schema?.items));
  if (isPlainObject(value)) {
    return new Map(
      Object.entries(value).map(([key, child]) => [
        key,
        toCel(child, schema === undefined ? undefined : propertySchema(schema, key)),
      ]),
    );
  }
  return value;
}
