// Where the API semantics meet a custom resource's schema: the decoder's pruning and defaulting with the
// `fieldValidation` outcome (400/422, warnings or silence), and the 422 Invalid of validation.
import type { KubeObject } from '../api/kube-object.js';
import { badRequest, invalid } from '../api/status-error.js';
import type { ResourceKind } from '../kinds/resource-kind.js';
import type { FieldValidation } from '../schema/custom-resource.js';
import { toStatusCause } from '../schema/field-errors.js';

export interface DecodeOptions {
  fieldValidation?: FieldValidation;
  /** Receives the Warning header texts of this request. */
  warnings?: string[];
}

function strictDecodingError(unknownFields: readonly string[]): string {
  return `strict decoding error: ${unknownFields.map((f) => `unknown field ${JSON.stringify(f)}`).join(', ')}`;
}

/**
 * The body as the decoder hands it on: pruned and defaulted. With fieldValidation=Strict an unknown field
 * fails the request: 400 for a create or update body, 422 naming the patched object for a patch.
 */
export function decodeForWrite(
  kind: ResourceKind,
  input: KubeObject,
  options: DecodeOptions,
  source: 'body' | 'patch',
): KubeObject {
  if (kind.schema === undefined) return input;
  const decoded = kind.schema.decode(input as unknown as Record<string, unknown>);
  const unknown = decoded.unknownFields;
  const mode = options.fieldValidation ?? 'Warn';
  if (unknown.length > 0 && mode === 'Strict') {
    if (source === 'patch')
      throw invalid('', '', '', [
        {
          reason: 'FieldValueInvalid',
          field: 'patch',
          message: `Invalid value: ${JSON.stringify(JSON.stringify(input))}: ${strictDecodingError(unknown)}`,
        },
      ]);
    const [, version = kind.version] = (input.apiVersion ?? '').split('/');
    const bodyKind = input.kind ?? kind.kind;
    throw badRequest(
      `${bodyKind} in version ${JSON.stringify(version)} cannot be handled as a ${kind.kind}: ${strictDecodingError(unknown)}`,
    );
  }
  if (mode === 'Warn') options.warnings?.push(...unknown.map((f) => `unknown field ${JSON.stringify(f)}`));
  return decoded.object as unknown as KubeObject;
}

/** 422 Invalid with every field error, as the custom resource strategy's Validate returns them. */
export function admit(kind: ResourceKind, object: KubeObject, old?: KubeObject): void {
  if (kind.schema === undefined) return;
  const errors = kind.schema.validate(
    object as unknown as Record<string, unknown>,
    old as unknown as Record<string, unknown> | undefined,
  );
  if (errors.length > 0)
    throw invalid(kind.kind, kind.group, object.metadata.name ?? '', errors.map(toStatusCause));
}
