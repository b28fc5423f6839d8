import { badRequest } from '../api/status-error.js';
import type { ResourceKind } from '../kinds/resource-kind.js';
import type { FieldValidation } from '../schema/custom-resource.js';
import { checkSupportedFields, parseFieldSelector } from '../selectors/field-selector.js';
import { parseLabelSelector } from '../selectors/label-selector.js';
import type { Selectors } from '../store/resource-service.js';
import type { IncludeObject } from '../table/table-convertor.js';

export function selectorsFrom(params: URLSearchParams, kind: ResourceKind): Selectors {
  const fields = parseFieldSelector(params.get('fieldSelector') ?? '');
  checkSupportedFields(fields, kind.kind);
  return { labels: parseLabelSelector(params.get('labelSelector') ?? ''), fields };
}

export function isWatch(params: URLSearchParams): boolean {
  const value = params.get('watch');
  return value === '1' || value === 'true';
}

/** `kubectl get` asks for `application/json;as=Table;v=v1;g=meta.k8s.io` first. */
export function wantsTable(accept: string | undefined): boolean {
  return (accept ?? '')
    .split(',')
    .some(
      (part) =>
        /;\s*as=Table/.test(part) && /;\s*g=meta\.k8s\.io/.test(part) && /;\s*v=v1(;|$|\s)/.test(part + ';'),
    );
}

export function includeObjectFrom(params: URLSearchParams): IncludeObject {
  const value = params.get('includeObject');
  if (value === null || value === '') return 'Metadata';
  if (value === 'None' || value === 'Metadata' || value === 'Object') return value;
  throw badRequest(`Invalid value: "${value}": must be 'Metadata', 'Object', 'None', or empty`);
}

/** A resourceVersion parameter as a number, `undefined` for absent/"0" (meaning "from now with a snapshot"). */
export function startingVersion(params: URLSearchParams): number | undefined {
  const raw = params.get('resourceVersion');
  if (raw === null || raw === '' || raw === '0') return undefined;
  if (!/^\d+$/.test(raw)) throw badRequest(`invalid resource version: ${raw}`);
  return Number(raw);
}

export function timeoutSecondsFrom(params: URLSearchParams, fallback: number): number {
  const raw = params.get('timeoutSeconds');
  if (raw === null || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw badRequest(`invalid timeoutSeconds: ${raw}`);
  return value;
}

/** `fieldValidation`: what unknown fields in a write do; the real server warns when it is absent. */
export function fieldValidationFrom(params: URLSearchParams): FieldValidation {
  const value = params.get('fieldValidation');
  if (value === null || value === '') return 'Warn';
  if (value === 'Strict' || value === 'Warn' || value === 'Ignore') return value;
  throw badRequest(
    `fieldValidation: Unsupported value: ${JSON.stringify(value)}: supported values: "Ignore", "Strict", "Warn"`,
  );
}
