// The OpenAPI value validation kube-apiserver runs on a custom resource (kube-openapi's SchemaValidator, its
// errors converted by apiextensions' kubeOpenAPIResultToFieldErrors). Paths are kube-openapi's dotted names
// ("spec.podSelector.matchLabels.app", "spec.egressIPs[3]") and details are its messages ("… in body …").
import { RE2JS } from '@bufbuild/re2';
import { fieldError, type FieldError } from './field-errors.js';
import { FieldPath } from './field-path.js';
import { matchesFormat } from './formats.js';
import { goFloat } from './go-format.js';
import { isPlainObject, type StructuralSchema } from './structural-schema.js';

/** The JSON type kube-openapi infers from decoded data (integers decode to int64). */
function dataType(value: unknown): string {
  if (typeof value === 'string') return 'string';
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  if (Array.isArray(value)) return 'array';
  return 'object';
}

function allowedTypes(schema: StructuralSchema): string[] {
  if (schema['x-kubernetes-int-or-string']) return ['integer', 'string'];
  return schema.type === undefined ? [] : [schema.type];
}

/** Errors of `value` at kube-openapi path `path` ("" for the resource root). */
export function validateValue(value: unknown, schema: StructuralSchema, path: string): FieldError[] {
  const errors: FieldError[] = [];
  const at = FieldPath.named(path);
  const types = allowedTypes(schema);
  if (value === null || value === undefined) {
    if (types.length > 0) {
      errors.push(
        fieldError.typeInvalid(at, 'null', `${path} in body must be of type ${types.join(',')}: "null"`),
      );
    }
    return errors;
  }
  const actual = dataType(value);
  const typeOk =
    types.length === 0 || types.includes(actual) || (actual === 'integer' && types.includes('number'));
  if (!typeOk) {
    errors.push(
      fieldError.typeInvalid(at, actual, `${path} in body must be of type ${types.join(',')}: "${actual}"`),
    );
  }
  if (
    schema.anyOf !== undefined &&
    !schema.anyOf.some((option) => validateValue(value, option, path).length === 0)
  ) {
    errors.push(fieldError.invalid(at, value, `"${path}" must validate at least one schema (anyOf)`));
  }
  if (typeof value === 'string') errors.push(...validateString(value, schema, path, at));
  if (typeof value === 'number') errors.push(...validateNumber(value, schema, path, at));
  if (Array.isArray(value)) errors.push(...validateArray(value, schema, path, at));
  if (schema.enum !== undefined && !schema.enum.some((allowed) => allowed === value)) {
    errors.push(fieldError.notSupported(at, value, schema.enum));
  }
  if (isPlainObject(value)) errors.push(...validateObject(value, schema, path, at));
  return errors;
}

function validateString(value: string, schema: StructuralSchema, path: string, at: FieldPath): FieldError[] {
  const errors: FieldError[] = [];
  // kube-openapi counts runes, not bytes (the message says bytes all the same).
  const length = [...value].length;
  if (schema.maxLength !== undefined && length > schema.maxLength)
    errors.push(fieldError.tooLong(at, schema.maxLength));
  if (schema.minLength !== undefined && length < schema.minLength)
    errors.push(
      fieldError.invalid(at, value, `${path} in body should be at least ${schema.minLength} chars long`),
    );
  // Patterns run on RE2, as Go's regexp runs them on the real server (not ECMAScript's backtracking engine).
  if (schema.pattern !== undefined && !compiled(schema.pattern).test(value))
    errors.push(fieldError.invalid(at, value, `${path} in body should match '${schema.pattern}'`));
  if (schema.type === 'string' && schema.format !== undefined && !matchesFormat(schema.format, value))
    errors.push(
      fieldError.typeInvalid(at, value, `${path} in body must be of type ${schema.format}: "${value}"`),
    );
  return errors;
}

const patterns = new Map<string, RE2JS>();
function compiled(pattern: string): RE2JS {
  let re = patterns.get(pattern);
  if (re === undefined) patterns.set(pattern, (re = RE2JS.compile(pattern)));
  return re;
}

// Integer data is compared as int64 against int64(bound) and printed plainly; other numbers as float64,
// with the bound printed as Go prints a float64 (2147483647 → 2.147483647e+09).
function validateNumber(value: number, schema: StructuralSchema, path: string, at: FieldPath): FieldError[] {
  const errors: FieldError[] = [];
  const bound = (n: number): string => (Number.isInteger(value) ? String(Math.trunc(n)) : goFloat(n));
  if (schema.maximum !== undefined && value > schema.maximum)
    errors.push(
      fieldError.invalid(
        at,
        value,
        `${path} in body should be less than or equal to ${bound(schema.maximum)}`,
      ),
    );
  if (schema.minimum !== undefined && value < schema.minimum)
    errors.push(
      fieldError.invalid(
        at,
        value,
        `${path} in body should be greater than or equal to ${bound(schema.minimum)}`,
      ),
    );
  return errors;
}

function validateArray(
  value: unknown[],
  schema: StructuralSchema,
  path: string,
  at: FieldPath,
): FieldError[] {
  const errors: FieldError[] = [];
  const items = schema.items;
  if (items !== undefined)
    value.forEach((item, i) => errors.push(...validateValue(item, items, `${path}[${i}]`)));
  if (schema.minItems !== undefined && value.length < schema.minItems)
    errors.push(
      fieldError.invalid(at, value.length, `${path} in body should have at least ${schema.minItems} items`),
    );
  if (schema.maxItems !== undefined && value.length > schema.maxItems)
    errors.push(fieldError.tooMany(at, value.length, schema.maxItems));
  return errors;
}

function validateObject(
  value: Record<string, unknown>,
  schema: StructuralSchema,
  path: string,
  at: FieldPath,
): FieldError[] {
  const keys = Object.keys(value);
  // kube-openapi stops at too many properties: the children are not looked at.
  if (schema.maxProperties !== undefined && keys.length > schema.maxProperties)
    return [fieldError.tooMany(at, keys.length, schema.maxProperties)];
  const child = (key: string): string => (path === '' ? key : `${path}.${key}`);
  const errors: FieldError[] = [];
  const additional = schema.additionalProperties;
  if (additional !== undefined)
    for (const key of keys)
      if (schema.properties?.[key] === undefined)
        errors.push(...validateValue(value[key], additional, child(key)));
  for (const [key, property] of Object.entries(schema.properties ?? {}))
    if (key in value) errors.push(...validateValue(value[key], property, child(key)));
  for (const key of schema.required ?? [])
    if (!(key in value)) errors.push(fieldError.required(FieldPath.named(child(key))));
  return errors;
}
