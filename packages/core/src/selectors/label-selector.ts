// metav1.LabelSelector semantics: matchLabels AND matchExpressions; a missing key satisfies NotIn and
// DoesNotExist; an empty selector matches everything. Validation mirrors apimachinery and reports every
// problem with its field path instead of throwing.
import type { FieldProblem } from '../api/field-problem.js';
import type { LabelSelector, LabelSelectorOperator, Labels } from './label-selector-types.js';
import { labelKeyProblems, labelValueProblems } from './label-validation.js';

const OPERATORS: readonly LabelSelectorOperator[] = ['In', 'NotIn', 'Exists', 'DoesNotExist'];

type Requirement =
  | { key: string; operator: 'In' | 'NotIn'; values: ReadonlySet<string> }
  | { key: string; operator: 'Exists' | 'DoesNotExist' };

export interface CompiledSelector {
  /** True when every label set matches (the empty selector). */
  readonly matchesEverything: boolean;
  /** kubectl's string form, e.g. `app=web,tier notin (db)`; equal selectors give equal strings. */
  readonly text: string;
  /**
   * A requirement every match must meet, as a key and the values it allows (from matchLabels or an `In`
   * expression), so indexes can look up candidates instead of testing every object; null when none.
   */
  readonly requiredLabel: { key: string; values: readonly string[] } | null;
  matches(labels: Labels): boolean;
}

/** Validates `value` as a LabelSelector at `path`; returns every problem found. */
export function validateLabelSelector(value: unknown, path: string): FieldProblem[] {
  const problems: FieldProblem[] = [];
  if (!isPlainObject(value)) return [{ path, message: 'must be an object' }];
  for (const field of Object.keys(value)) {
    if (field !== 'matchLabels' && field !== 'matchExpressions') {
      problems.push({ path: `${path}.${field}`, message: 'unknown field' });
    }
  }
  const { matchLabels, matchExpressions } = value as Record<string, unknown>;
  if (matchLabels !== undefined && matchLabels !== null) {
    if (!isPlainObject(matchLabels)) {
      problems.push({ path: `${path}.matchLabels`, message: 'must be a map of label keys to values' });
    } else {
      for (const [key, labelValue] of Object.entries(matchLabels)) {
        for (const message of labelKeyProblems(key))
          problems.push({ path: `${path}.matchLabels`, message: `key "${key}": ${message}` });
        for (const message of labelValueProblems(labelValue))
          problems.push({ path: `${path}.matchLabels[${key}]`, message });
      }
    }
  }
  if (matchExpressions !== undefined && matchExpressions !== null) {
    if (!Array.isArray(matchExpressions)) {
      problems.push({ path: `${path}.matchExpressions`, message: 'must be a list' });
    } else {
      matchExpressions.forEach((expression, index) =>
        problems.push(...validateRequirement(expression, `${path}.matchExpressions[${index}]`)),
      );
    }
  }
  return problems;
}

function validateRequirement(value: unknown, path: string): FieldProblem[] {
  if (!isPlainObject(value)) return [{ path, message: 'must be an object with key, operator and values' }];
  const { key, operator, values } = value as Record<string, unknown>;
  const problems: FieldProblem[] = [];
  if (key === undefined) problems.push({ path: `${path}.key`, message: 'required' });
  else for (const message of labelKeyProblems(key)) problems.push({ path: `${path}.key`, message });
  if (!OPERATORS.includes(operator as LabelSelectorOperator)) {
    problems.push({
      path: `${path}.operator`,
      message: `"${String(operator)}" is not a valid label selector operator (In, NotIn, Exists, DoesNotExist)`,
    });
    return problems;
  }
  const hasValues = Array.isArray(values) && values.length > 0;
  if (values !== undefined && values !== null && !Array.isArray(values)) {
    problems.push({ path: `${path}.values`, message: 'must be a list of strings' });
  } else if ((operator === 'In' || operator === 'NotIn') && !hasValues) {
    problems.push({
      path: `${path}.values`,
      message: "must be specified when `operator` is 'In' or 'NotIn'",
    });
  } else if ((operator === 'Exists' || operator === 'DoesNotExist') && hasValues) {
    problems.push({
      path: `${path}.values`,
      message: "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
    });
  }
  if (Array.isArray(values)) {
    values.forEach((item, index) => {
      for (const message of labelValueProblems(item))
        problems.push({ path: `${path}.values[${index}]`, message });
    });
  }
  return problems;
}

/** Compiles a selector already accepted by `validateLabelSelector`. */
export function compileLabelSelector(selector: LabelSelector): CompiledSelector {
  const requirements: Requirement[] = [];
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    requirements.push({ key, operator: 'In', values: new Set([value]) });
  }
  for (const expression of selector.matchExpressions ?? []) {
    if (expression.operator === 'In' || expression.operator === 'NotIn') {
      requirements.push({
        key: expression.key,
        operator: expression.operator,
        values: new Set(expression.values ?? []),
      });
    } else {
      requirements.push({ key: expression.key, operator: expression.operator });
    }
  }
  requirements.sort((a, b) => compareStrings(a.key, b.key) || compareStrings(a.operator, b.operator));
  const firstIn = requirements.find((r) => r.operator === 'In');
  return {
    matchesEverything: requirements.length === 0,
    text: requirements.map(requirementText).join(','),
    requiredLabel:
      firstIn && firstIn.operator === 'In' ? { key: firstIn.key, values: [...firstIn.values] } : null,
    matches: (labels) => requirements.every((requirement) => requirementMatches(requirement, labels)),
  };
}

function requirementMatches(requirement: Requirement, labels: Labels): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, requirement.key);
  switch (requirement.operator) {
    case 'In':
      return has && requirement.values.has(labels[requirement.key] as string);
    case 'NotIn':
      return !has || !requirement.values.has(labels[requirement.key] as string);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
  }
}

function requirementText(requirement: Requirement): string {
  switch (requirement.operator) {
    case 'Exists':
      return requirement.key;
    case 'DoesNotExist':
      return `!${requirement.key}`;
    case 'In':
    case 'NotIn': {
      const values = [...requirement.values].sort(compareStrings);
      if (requirement.operator === 'In' && values.length === 1) return `${requirement.key}=${values[0]}`;
      return `${requirement.key} ${requirement.operator.toLowerCase()} (${values.join(',')})`;
    }
  }
}

export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
