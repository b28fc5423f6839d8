// What kube-apiserver does with a custom resource write under its version's structural schema, in its order:
// decode (prune unknown fields, drop nulls, default), then validate the object the strategy will store
// (OpenAPI value validation, list-type uniqueness, and CEL rules unless a blocking error came first).
import { fieldError, type FieldError } from './field-errors.js';
import { FieldPath } from './field-path.js';
import { withDefaults } from './defaults.js';
import { pruneObject } from './prune.js';
import { validateListTypes } from './list-types.js';
import { assertImplemented, type StructuralSchema } from './structural-schema.js';
import { validateValue } from './validate.js';
import { RUNTIME_COST_BUDGET } from './cel/cost.js';
import { compileRules, evaluateRules } from './cel/rules.js';

/** The `fieldValidation` query parameter; without one the real server warns (kubectl sends Strict). */
export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

export interface Decoded {
  object: Record<string, unknown>;
  /** Paths of the fields pruning dropped, e.g. `spec.selector`. */
  unknownFields: string[];
}

// Errors after which the object does not have the shape its rules were written for (strategy.go's
// hasBlockingErr): CEL is not run, and one error says so.
const BLOCKING = new Set<FieldError['type']>([
  'FieldValueNotSupported',
  'FieldValueRequired',
  'FieldValueTooLong',
  'FieldValueTooMany',
  'FieldValueTypeInvalid',
]);

export class CustomResourceSchema {
  private readonly rules: ReturnType<typeof compileRules>;

  /** Throws for schema keywords this server does not implement and for rules that do not compile. */
  constructor(readonly root: StructuralSchema) {
    assertImplemented(root);
    this.rules = compileRules(root);
  }

  /** What the decoder makes of a request body: pruned, nulls dropped, defaulted. */
  decode(object: Record<string, unknown>): Decoded {
    const pruned = pruneObject(object, this.root);
    return {
      object: withDefaults(pruned.value, this.root) as Record<string, unknown>,
      unknownFields: pruned.unknownFields,
    };
  }

  /** Every error the real server reports for the object to store; `old` is the stored object on update. */
  validate(object: Record<string, unknown>, old?: Record<string, unknown>): FieldError[] {
    const { metadata: _metadata, ...rest } = object;
    const { metadata: _metadataSchema, ...properties } = this.root.properties ?? {};
    // ObjectMeta is validated like every kind's (names, labels); Calico's v3 schemas list it as required.
    const required = this.root.required?.filter((field) => field !== 'metadata');
    const schema = { ...this.root, properties, ...(required === undefined ? {} : { required }) };
    const errors = [...validateValue(rest, schema, ''), ...validateListTypes(object, this.root)];
    if (this.rules === undefined) return errors;
    if (errors.some((e) => BLOCKING.has(e.type))) {
      return [
        ...errors,
        fieldError.invalid(
          FieldPath.root,
          null,
          'some validation rules were not checked because the object was invalid; correct the existing errors to complete validation',
        ),
      ];
    }
    return [...errors, ...evaluateRules(this.rules, object, old, RUNTIME_COST_BUDGET)];
  }
}
