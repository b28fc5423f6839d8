// x-kubernetes-validations evaluated the way apiextensions' cel.Validator does: each rule with `self` bound
// to its node's value (and `oldSelf` to the correlated old value on update), failures as field errors at
// that node, and one cost budget for the whole object after which nothing more is evaluated.
import { isCelError } from '@bufbuild/cel';
import { fieldError, type FieldError } from '../field-errors.js';
import { FieldPath } from '../field-path.js';
import { celTypeName, isPlainObject, type CelRule, type StructuralSchema } from '../structural-schema.js';
import { COST_LIMIT_EXCEEDED, PER_CALL_LIMIT } from './cost.js';
import { compile, meter, type CompiledProgram } from './environment.js';
import { toCel } from './to-cel.js';

interface CompiledRule {
  readonly source: CelRule;
  readonly program: CompiledProgram;
}

/** The schema tree reduced to the nodes that have rules below them. */
interface RuleNode {
  readonly schema: StructuralSchema;
  readonly rules: readonly CompiledRule[];
  readonly properties: ReadonlyMap<string, RuleNode>;
  readonly additional: RuleNode | undefined;
  readonly items: RuleNode | undefined;
}

/** A rule that does not compile: the CRD is refused, naming the rule by its schema path. */
export class RuleCompileError extends Error {
  constructor(
    readonly schemaPath: string,
    readonly rule: string,
    message: string,
  ) {
    super(message);
  }
}

export function compileRules(schema: StructuralSchema, path = 'openAPIV3Schema'): RuleNode | undefined {
  const rules = (schema['x-kubernetes-validations'] ?? []).map((source, index) => {
    try {
      return { source, program: compile(source.rule) };
    } catch (e) {
      throw new RuleCompileError(
        `${path}.x-kubernetes-validations[${index}].rule`,
        source.rule,
        (e as Error).message,
      );
    }
  });
  const properties = new Map<string, RuleNode>();
  for (const [name, child] of Object.entries(schema.properties ?? {})) {
    const node = compileRules(child, `${path}.properties[${name}]`);
    if (node !== undefined) properties.set(name, node);
  }
  const additional =
    schema.additionalProperties && compileRules(schema.additionalProperties, `${path}.additionalProperties`);
  const items = schema.items && compileRules(schema.items, `${path}.items`);
  if (rules.length === 0 && properties.size === 0 && additional === undefined && items === undefined)
    return undefined;
  return { schema, rules, properties, additional, items };
}

/** Rule errors, and whether evaluation stopped early (budget or per-rule limit). */
interface Outcome {
  errors: FieldError[];
  budget: number;
}

export function evaluateRules(root: RuleNode, object: unknown, old: unknown, budget: number): FieldError[] {
  return evaluate(root, object, old, FieldPath.root, { errors: [], budget }).errors;
}

function evaluate(node: RuleNode, value: unknown, old: unknown, path: FieldPath, outcome: Outcome): Outcome {
  if (value === null || value === undefined || outcome.budget < 0) return outcome;
  if (!evaluateHere(node, value, old, path, outcome)) return outcome;
  if (Array.isArray(value) && node.items !== undefined) {
    const oldItem = correlateListItems(node.schema, old);
    for (const [i, item] of value.entries()) {
      evaluate(node.items, item, oldItem(item), path.index(i), outcome);
      if (outcome.budget < 0) return outcome;
    }
  } else if (isPlainObject(value)) {
    const oldObject = isPlainObject(old) ? old : undefined;
    for (const [key, child] of Object.entries(value)) {
      const property = node.properties.get(key);
      const target = property ?? (node.schema.properties?.[key] === undefined ? node.additional : undefined);
      if (target === undefined) continue;
      evaluate(target, child, oldObject?.[key], property ? path.child(key) : path.key(key), outcome);
      if (outcome.budget < 0) return outcome;
    }
  }
  return outcome;
}

/** Runs the node's own rules; false when evaluation must stop for the whole object. */
function evaluateHere(
  node: RuleNode,
  value: unknown,
  old: unknown,
  path: FieldPath,
  outcome: Outcome,
): boolean {
  if (node.rules.length === 0) return true;
  const type = celTypeName(node.schema);
  if (outcome.budget <= 0) {
    outcome.errors.push(
      fieldError.invalid(
        path,
        type,
        'validation failed due to running out of cost budget, no further validation rules will be run',
      ),
    );
    outcome.budget = -1;
    return false;
  }
  const self = toCel(value, node.schema);
  const oldSelf = old === undefined || old === null ? undefined : toCel(old, node.schema);
  for (const { source, program } of node.rules) {
    // Transition rules are evaluated only when there is an old value to compare with.
    if (program.usesOldSelf && oldSelf === undefined) continue;
    meter.start(PER_CALL_LIMIT);
    const result = program.evaluate(oldSelf === undefined ? { self } : { self, oldSelf });
    if (meter.exceeded) {
      outcome.errors.push(
        fieldError.invalid(
          path,
          type,
          `'${COST_LIMIT_EXCEEDED}': no further validation rules will be run due to call cost exceeds limit for rule: ${ruleErrorString(source)}`,
        ),
      );
      outcome.budget = -1;
      return false;
    }
    if (meter.cost > outcome.budget) {
      outcome.errors.push(
        fieldError.invalid(
          path,
          type,
          'validation failed due to running out of cost budget, no further validation rules will be run',
        ),
      );
      outcome.budget = -1;
      return false;
    }
    outcome.budget -= meter.cost;
    if (isCelError(result)) {
      outcome.errors.push(
        fieldError.invalid(path, type, `${result.message} evaluating rule: ${ruleErrorString(source)}`),
      );
    } else if (result !== true) {
      outcome.errors.push(errorForReason(path, type, ruleMessageOrDefault(source), source.reason));
    }
  }
  return true;
}

/** Only map lists correlate items with the old list (by their keys); other lists' items have no oldSelf. */
function correlateListItems(schema: StructuralSchema, old: unknown): (item: unknown) => unknown {
  const keys = schema['x-kubernetes-list-map-keys'];
  if (schema['x-kubernetes-list-type'] !== 'map' || keys === undefined || !Array.isArray(old))
    return () => undefined;
  const identity = (item: unknown): string =>
    JSON.stringify(keys.map((key) => (isPlainObject(item) ? item[key] : undefined)));
  const byKey = new Map(old.map((item) => [identity(item), item]));
  return (item) => byKey.get(identity(item));
}

function errorForReason(
  path: FieldPath,
  type: string,
  detail: string,
  reason: CelRule['reason'],
): FieldError {
  switch (reason) {
    case 'FieldValueForbidden':
      return fieldError.forbidden(path, detail);
    case 'FieldValueRequired':
      return fieldError.required(path, detail);
    case 'FieldValueDuplicate':
      return fieldError.duplicate(path, type);
    default:
      return fieldError.invalid(path, type, detail);
  }
}

function ruleMessageOrDefault(rule: CelRule): string {
  return rule.message ? rule.message.trim() : `failed rule: ${ruleErrorString(rule)}`;
}

function ruleErrorString(rule: CelRule): string {
  return rule.message ? rule.message.trim() : rule.rule.trim();
}
