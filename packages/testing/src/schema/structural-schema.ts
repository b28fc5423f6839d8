// Shared by the Egress CRD tests and the Calico backend's tests (every object a test writes is checked
// against the CRD it targets).
// The OpenAPI part of a CRD's structural schema, applied to an object the way the API server does before
// CEL: defaults, then types, required fields, enums, bounds, patterns, list types, and unknown fields
// rejected as with kubectl's default strict field validation. CEL rules (x-kubernetes-validations) are NOT
// evaluated here (callers check the invariants those rules state separately). Any schema keyword
// this file does not implement makes it throw, so a constraint can never be skipped silently.
import { parseCidr } from '@egress-proxier/core';

export interface CelRule {
  rule: string;
  message?: string;
  reason?: string;
}

export interface StructuralSchema {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
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
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-map-type',
  'x-kubernetes-validations',
]);
const IMPLEMENTED_FORMATS = new Set(['int32', 'int64', 'date-time', 'cidr']);
// RFC 3339, as metav1.Time serializes.
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

export interface SchemaProblem {
  path: string;
  message: string;
}

/** A deep copy of `value` with the schema's defaults filled in where their parent object exists. */
export function withDefaults(value: unknown, schema: StructuralSchema): unknown {
  if (Array.isArray(value)) {
    return schema.items === undefined
      ? value
      : value.map((item) => withDefaults(item, schema.items as StructuralSchema));
  }
  if (!isPlainObject(value)) return value;
  const result: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    const childSchema = schema.properties?.[key] ?? schema.additionalProperties;
    result[key] = childSchema === undefined ? child : withDefaults(child, childSchema);
  }
  for (const [key, propertySchema] of Object.entries(schema.properties ?? {})) {
    if (result[key] === undefined && propertySchema.default !== undefined) {
      result[key] = structuredClone(propertySchema.default);
    }
  }
  return result;
}

/**
 * Problems of a whole custom object against its version's openAPIV3Schema. `metadata` is left to the API
 * server's ObjectMeta validation, as for every kind.
 */
export function validateCustomObject(
  object: Record<string, unknown>,
  root: StructuralSchema,
): SchemaProblem[] {
  const { metadata, ...rest } = object;
  const problems: SchemaProblem[] = [];
  if (!isPlainObject(metadata)) problems.push({ path: 'metadata', message: 'must be an object' });
  const { metadata: _metadataSchema, ...properties } = root.properties ?? {};
  // metadata is checked above; Calico's v3 schemas also list it in the root's `required`.
  const required = root.required?.filter((field) => field !== 'metadata');
  validateValue(rest, { ...root, properties, ...(required === undefined ? {} : { required }) }, '', problems);
  return problems;
}

export function validateValue(
  value: unknown,
  schema: StructuralSchema,
  path: string,
  problems: SchemaProblem[],
): void {
  assertImplemented(schema, path);
  const problem = (message: string): void => {
    problems.push({ path: path === '' ? '<root>' : path, message });
  };
  if (schema.enum !== undefined && !schema.enum.some((allowed) => allowed === value)) {
    problem(
      `Unsupported value: ${JSON.stringify(value)}: supported values: ${schema.enum.map((v) => JSON.stringify(v)).join(', ')}`,
    );
  }
  switch (schema.type) {
    case 'string':
      if (typeof value !== 'string') return problem(`must be of type string, got ${JSON.stringify(value)}`);
      if (schema.maxLength !== undefined && [...value].length > schema.maxLength) {
        problem(`may not be more than ${schema.maxLength} characters`);
      }
      if (schema.minLength !== undefined && [...value].length < schema.minLength) {
        problem(`must be at least ${schema.minLength} characters`);
      }
      if (schema.pattern !== undefined && !new RegExp(schema.pattern).test(value)) {
        problem(`must match pattern ${schema.pattern}`);
      }
      if (schema.format === 'date-time' && !DATE_TIME.test(value)) problem('must be an RFC 3339 date-time');
      // Kubernetes' `cidr` format is Go's net.ParseCIDR (host bits allowed); parseCidr is stricter, which
      // only makes this check harder to pass.
      if (schema.format === 'cidr' && 'error' in parseCidr(value)) problem('must be a CIDR');
      return;
    case 'integer':
    case 'number':
      if (typeof value !== 'number' || (schema.type === 'integer' && !Number.isInteger(value))) {
        return problem(`must be of type ${schema.type}, got ${JSON.stringify(value)}`);
      }
      if (schema.minimum !== undefined && value < schema.minimum)
        problem(`must be greater than or equal to ${schema.minimum}`);
      if (schema.maximum !== undefined && value > schema.maximum)
        problem(`must be less than or equal to ${schema.maximum}`);
      return;
    case 'boolean':
      if (typeof value !== 'boolean') problem(`must be of type boolean, got ${JSON.stringify(value)}`);
      return;
    case 'array':
      return validateArray(value, schema, path, problems, problem);
    case 'object':
      return validateObject(value, schema, path, problems, problem);
    default:
      throw new Error(`${path}: schema without a type is not structural`);
  }
}

function validateArray(
  value: unknown,
  schema: StructuralSchema,
  path: string,
  problems: SchemaProblem[],
  problem: (message: string) => void,
): void {
  if (!Array.isArray(value)) return problem(`must be of type array, got ${JSON.stringify(value)}`);
  if (schema.minItems !== undefined && value.length < schema.minItems)
    problem(`must have at least ${schema.minItems} items`);
  if (schema.maxItems !== undefined && value.length > schema.maxItems)
    problem(`must have at most ${schema.maxItems} items`);
  if (schema.items === undefined) throw new Error(`${path}: an array schema needs items`);
  value.forEach((item, index) =>
    validateValue(item, schema.items as StructuralSchema, `${path}[${index}]`, problems),
  );
  const listType = schema['x-kubernetes-list-type'];
  if (listType === 'set') {
    const seen = new Set<string>();
    value.forEach((item, index) => {
      const identity = JSON.stringify(item);
      if (seen.has(identity))
        problems.push({ path: `${path}[${index}]`, message: `Duplicate value: ${identity}` });
      seen.add(identity);
    });
  } else if (listType === 'map') {
    const keys = schema['x-kubernetes-list-map-keys'] ?? [];
    if (keys.length === 0) throw new Error(`${path}: a map list needs x-kubernetes-list-map-keys`);
    const seen = new Set<string>();
    value.forEach((item, index) => {
      if (!isPlainObject(item)) return;
      const identity = JSON.stringify(keys.map((key) => item[key]));
      if (seen.has(identity))
        problems.push({ path: `${path}[${index}]`, message: `Duplicate value: ${identity}` });
      seen.add(identity);
    });
  }
}

function validateObject(
  value: unknown,
  schema: StructuralSchema,
  path: string,
  problems: SchemaProblem[],
  problem: (message: string) => void,
): void {
  if (!isPlainObject(value)) return problem(`must be of type object, got ${JSON.stringify(value)}`);
  const entries = Object.entries(value);
  if (schema.maxProperties !== undefined && entries.length > schema.maxProperties) {
    problem(`must have at most ${schema.maxProperties} properties`);
  }
  for (const required of schema.required ?? []) {
    if (value[required] === undefined)
      problems.push({ path: join(path, required), message: 'Required value' });
  }
  for (const [key, child] of entries) {
    const childSchema = schema.properties?.[key] ?? schema.additionalProperties;
    if (childSchema === undefined) {
      problems.push({ path: join(path, key), message: 'unknown field' });
      continue;
    }
    validateValue(child, childSchema, join(path, key), problems);
  }
}

function assertImplemented(schema: StructuralSchema, path: string): void {
  for (const keyword of Object.keys(schema)) {
    if (!IMPLEMENTED_KEYWORDS.has(keyword))
      throw new Error(`${path}: schema keyword ${keyword} is not implemented here`);
  }
  if (schema.format !== undefined && !IMPLEMENTED_FORMATS.has(schema.format)) {
    throw new Error(`${path}: format ${schema.format} is not implemented here`);
  }
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
