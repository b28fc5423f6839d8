// Defaulting as kube-apiserver applies it after pruning: a null in a field the schema knows is dropped (no
// schema here is nullable), then a property's default fills it in when its parent object exists and the
// property is absent.
import { isPlainObject, propertySchema, type StructuralSchema } from './structural-schema.js';

/** A deep copy of `value` with the schema's defaults filled in where their parent object exists. */
export function withDefaults(value: unknown, schema: StructuralSchema): unknown {
  if (Array.isArray(value)) {
    const items = schema.items;
    return items === undefined ? structuredClone(value) : value.map((item) => withDefaults(item, items));
  }
  if (!isPlainObject(value)) return value;
  const result: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    const childSchema = propertySchema(schema, key);
    if (child === null && childSchema !== undefined) continue;
    result[key] = childSchema === undefined ? structuredClone(child) : withDefaults(child, childSchema);
  }
  for (const [key, property] of Object.entries(schema.properties ?? {})) {
    if (result[key] === undefined && property.default !== undefined)
      result[key] = withDefaults(structuredClone(property.default), property);
  }
  return result;
}
