// For tests that check an object against a CRD without a server: the server's own engine, with unknown
// fields reported as kubectl's default (Strict) reports them.
import { CustomResourceSchema } from './custom-resource.js';
import { errorBody } from './field-errors.js';
import type { StructuralSchema } from './structural-schema.js';

export interface SchemaProblem {
  /** The field path as the server names it (`spec.egressIPs[1]`, `<nil>` for a root rule). */
  path: string;
  /** The cause's message: `Duplicate value: "192.0.2.10"`, `unknown field "spec.selector"`. */
  message: string;
}

const compiled = new WeakMap<StructuralSchema, CustomResourceSchema>();

/** Everything the in-memory API server (and so a real one) refuses in `object`, schema and CEL rules. */
export function validateCustomObject(
  object: Record<string, unknown>,
  root: StructuralSchema,
): SchemaProblem[] {
  let schema = compiled.get(root);
  if (schema === undefined) compiled.set(root, (schema = new CustomResourceSchema(root)));
  const decoded = schema.decode(object);
  return [
    ...decoded.unknownFields.map((path) => ({ path, message: `unknown field ${JSON.stringify(path)}` })),
    ...schema.validate(decoded.object).map((e) => ({ path: e.field, message: errorBody(e) })),
  ];
}
