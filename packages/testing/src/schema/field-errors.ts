// apimachinery's field.Error: a type (the cause `reason`), the field, the bad value and a detail, rendered
// by ErrorBody() exactly as kube-apiserver renders them into `status.details.causes` and the message.
import type { StatusCause } from '../api/status-error.js';
import type { FieldPath } from './field-path.js';
import { goJson, goNumber, goQuote } from './go-format.js';

export type FieldErrorType =
  | 'FieldValueRequired'
  | 'FieldValueInvalid'
  | 'FieldValueTypeInvalid'
  | 'FieldValueNotSupported'
  | 'FieldValueForbidden'
  | 'FieldValueTooLong'
  | 'FieldValueTooMany'
  | 'FieldValueDuplicate'
  | 'InternalError';

/** What the message shows of the value: nothing (Required, Forbidden, TooLong), or the value itself. */
type BadValue = { shown: false } | { shown: true; value: unknown };

export interface FieldError {
  readonly type: FieldErrorType;
  readonly field: string;
  readonly badValue: BadValue;
  readonly detail: string;
}

const typeText: Readonly<Record<FieldErrorType, string>> = {
  FieldValueRequired: 'Required value',
  FieldValueInvalid: 'Invalid value',
  FieldValueTypeInvalid: 'Invalid value',
  FieldValueNotSupported: 'Unsupported value',
  FieldValueForbidden: 'Forbidden',
  FieldValueTooLong: 'Too long',
  FieldValueTooMany: 'Too many',
  FieldValueDuplicate: 'Duplicate value',
  InternalError: 'Internal error',
};

const hidden: BadValue = { shown: false };
const shown = (value: unknown): BadValue => ({ shown: true, value });

function make(type: FieldErrorType, path: FieldPath, badValue: BadValue, detail = ''): FieldError {
  return { type, field: path.toString(), badValue, detail };
}

export const fieldError = {
  required: (path: FieldPath, detail = ''): FieldError => make('FieldValueRequired', path, hidden, detail),
  invalid: (path: FieldPath, value: unknown, detail: string): FieldError =>
    make('FieldValueInvalid', path, shown(value), detail),
  typeInvalid: (path: FieldPath, value: unknown, detail: string): FieldError =>
    make('FieldValueTypeInvalid', path, shown(value), detail),
  notSupported: (path: FieldPath, value: unknown, supported: readonly unknown[]): FieldError =>
    make(
      'FieldValueNotSupported',
      path,
      shown(value),
      supported.length === 0
        ? ''
        : `supported values: ${supported.map((v) => goQuote(typeof v === 'string' ? v : goJson(v))).join(', ')}`,
    ),
  forbidden: (path: FieldPath, detail: string): FieldError =>
    make('FieldValueForbidden', path, hidden, detail),
  /** field.TooLong: the length is counted in characters but reported in bytes, as the real server does. */
  tooLong: (path: FieldPath, maxLength: number): FieldError =>
    make(
      'FieldValueTooLong',
      path,
      hidden,
      `may not be more than ${maxLength} ${maxLength === 1 ? 'byte' : 'bytes'}`,
    ),
  tooMany: (path: FieldPath, actual: number, max: number): FieldError =>
    make(
      'FieldValueTooMany',
      path,
      shown(actual),
      `must have at most ${max} ${max === 1 ? 'item' : 'items'}`,
    ),
  duplicate: (path: FieldPath, value: unknown): FieldError => make('FieldValueDuplicate', path, shown(value)),
  internal: (path: FieldPath, detail: string): FieldError => make('InternalError', path, hidden, detail),
};

function renderValue(value: unknown): string {
  if (typeof value === 'string') return goQuote(value);
  if (typeof value === 'number') return goNumber(value);
  if (typeof value === 'boolean') return String(value);
  return goJson(value ?? null);
}

/** field.Error.ErrorBody(): `Invalid value: "x": detail`, `Required value`, `Too many: 17: must have…`. */
export function errorBody(error: FieldError): string {
  let body = typeText[error.type];
  if (error.badValue.shown) body += `: ${renderValue(error.badValue.value)}`;
  return error.detail === '' ? body : `${body}: ${error.detail}`;
}

/** field.Error.Error(): `spec.egressIPs: Too many: 17: must have at most 16 items`. */
export function errorString(error: FieldError): string {
  return `${error.field}: ${errorBody(error)}`;
}

export function toStatusCause(error: FieldError): StatusCause {
  return { reason: error.type, message: errorBody(error), field: error.field };
}
