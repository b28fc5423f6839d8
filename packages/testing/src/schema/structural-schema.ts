// The structural schema of a CRD version (openAPIV3Schema), as this server understands it. Checked once when
// the CRD is registered: a keyword this server does not implement refuses the CRD, so no constraint of a
// served schema is ever skipped silently.

export type SchemaType = 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';

export interface CelRule {
  rule: string;
  message?: string;
  reason?: 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';
}

export interface StructuralSchema {
  type?: SchemaType;
  description?: string;
  format?: string;
  properties?: Record<string, StructuralSchema>;
  additionalProperties?: StructuralSchema;
  items?: StructuralSchema;
  required?: string[];
  enum?: unknown[];
  default?: unknown;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  maxProperties?: number;
  pattern?: string;
  /** Value validation only (structural schemas allow no types or properties in it). */
  anyOf?: StructuralSchema[];
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-map-type'?: 'atomic' | 'granular';
  'x-kubernetes-validations'?: CelRule[];
}

const IMPLEMENTED_KEYWORDS = new Set<string>([
  'type',
  'description',
  'format',
  'properties',
  'additionalProperties',
  'items',
  'required',
  'enum',
  'default',
  'minItems',
  'maxItems',
  'minLength',
  'maxLength',
  'minimum',
  'maximum',
  'maxProperties',
  'pattern',
  'anyOf',
  'x-kubernetes-int-or-string',
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-map-type',
  'x-kubernetes-validations',
]);
// int32/int64 only name a range (kube-openapi enforces them through minimum/maximum, not the format).
export const IMPLEMENTED_FORMATS = new Set(['int32', 'int64', 'date-time', 'cidr']);
const RULE_KEYS = new Set(['rule', 'message', 'reason']);

/** Throws, naming the schema path, for anything this server would otherwise ignore. */
export function assertImplemented(schema: StructuralSchema, path = 'openAPIV3Schema'): void {
  for (const keyword of Object.keys(schema)) {
    if (!IMPLEMENTED_KEYWORDS.has(keyword))
      throw new Error(`${path}: schema keyword ${keyword} is not implemented by the in-memory API server`);
  }
  if (schema.format !== undefined && !IMPLEMENTED_FORMATS.has(schema.format))
    throw new Error(`${path}: format ${schema.format} is not implemented by the in-memory API server`);
  if (
    schema.type === undefined &&
    !schema['x-kubernetes-int-or-string'] &&
    !schema['x-kubernetes-preserve-unknown-fields']
  )
    throw new Error(`${path}: a schema without a type is not structural`);
  if (schema.type === 'array' && schema.items === undefined)
    throw new Error(`${path}: an array schema needs items`);
  if (schema['x-kubernetes-list-type'] === 'map' && (schema['x-kubernetes-list-map-keys'] ?? []).length === 0)
    throw new Error(`${path}: a map list needs x-kubernetes-list-map-keys`);
  for (const [index, rule] of (schema['x-kubernetes-validations'] ?? []).entries()) {
    for (const key of Object.keys(rule))
      if (!RULE_KEYS.has(key))
        throw new Error(
          `${path}.x-kubernetes-validations[${index}]: ${key} is not implemented by the in-memory API server`,
        );
  }
  for (const [name, child] of Object.entries(schema.properties ?? {}))
    assertImplemented(child, `${path}.properties[${name}]`);
  if (schema.additionalProperties !== undefined)
    assertImplemented(schema.additionalProperties, `${path}.additionalProperties`);
  if (schema.items !== undefined) assertImplemented(schema.items, `${path}.items`);
  for (const [index, option] of (schema.anyOf ?? []).entries())
    assertAnyOfOption(option, `${path}.anyOf[${index}]`);
}

// anyOf branches of a structural schema carry value validations only; the int-or-string idiom
// (anyOf: [{type: integer}, {type: string}]) is the one use of `type` there.
function assertAnyOfOption(option: StructuralSchema, path: string): void {
  for (const keyword of Object.keys(option))
    if (!['type', 'pattern', 'minimum', 'maximum', 'minLength', 'maxLength', 'enum'].includes(keyword))
      throw new Error(`${path}: ${keyword} inside anyOf is not implemented by the in-memory API server`);
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The schema of one field of an object node: a declared property, else additionalProperties. */
export function propertySchema(schema: StructuralSchema, key: string): StructuralSchema | undefined {
  return schema.properties?.[key] ?? schema.additionalProperties;
}

/** The type name CEL errors report as the bad value (`Invalid value: "object": …`). */
export function celTypeName(schema: StructuralSchema): string {
  return schema.type ?? '';
}
