import { badRequest } from '../api/status-error.js';

/** One parsed requirement of a label selector string. */
export type LabelRequirement =
  | { key: string; op: 'exists' | 'notExists' }
  | { key: string; op: 'in' | 'notIn'; values: string[] }
  | { key: string; op: 'gt' | 'lt'; value: number };

/** Splits at top-level commas: commas inside `in (a,b)` belong to the value set. */
function splitTopLevel(selector: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of selector) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);
  return parts.map((p) => p.trim());
}

const keyPattern = /^([a-z0-9A-Z]([a-z0-9A-Z.-]*[a-z0-9A-Z])?\/)?[a-zA-Z0-9]([-a-zA-Z0-9_.]*[a-zA-Z0-9])?$/;
const valuePattern = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function checkKey(key: string, selector: string): string {
  if (!keyPattern.test(key))
    throw badRequest(`unable to parse requirement: invalid label key "${key}" in "${selector}"`);
  return key;
}

function checkValue(value: string, selector: string): string {
  if (!valuePattern.test(value))
    throw badRequest(`unable to parse requirement: invalid label value "${value}" in "${selector}"`);
  return value;
}

function parseRequirement(part: string, selector: string): LabelRequirement {
  const set = /^(\S+)\s+(in|notin)\s*\((.*)\)$/.exec(part);
  if (set) {
    const values = (set[3] ?? '').split(',').map((v) => checkValue(v.trim(), selector));
    return { key: checkKey(set[1] ?? '', selector), op: set[2] === 'in' ? 'in' : 'notIn', values };
  }
  const binary = /^([^!=<>\s]+)\s*(==|=|!=|<|>)\s*(.*)$/.exec(part);
  if (binary) {
    const key = checkKey(binary[1] ?? '', selector);
    const raw = (binary[3] ?? '').trim();
    const op = binary[2];
    if (op === '<' || op === '>') {
      const value = Number(raw);
      if (!/^-?\d+$/.test(raw))
        throw badRequest(
          `unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an integer`,
        );
      return { key, op: op === '>' ? 'gt' : 'lt', value };
    }
    return { key, op: op === '!=' ? 'notIn' : 'in', values: [checkValue(raw, selector)] };
  }
  if (part.startsWith('!')) return { key: checkKey(part.slice(1).trim(), selector), op: 'notExists' };
  return { key: checkKey(part, selector), op: 'exists' };
}

/** Parses the `labelSelector` query syntax: `=`, `==`, `!=`, `in`, `notin`, `key`, `!key`, `<`, `>`. */
export function parseLabelSelector(selector: string): LabelRequirement[] {
  if (selector.trim() === '') return [];
  return splitTopLevel(selector).map((part) => {
    if (part === '')
      throw badRequest(`unable to parse requirement: found '', expected: identifier in "${selector}"`);
    return parseRequirement(part, selector);
  });
}

export function matchesLabels(
  requirements: readonly LabelRequirement[],
  labels: Readonly<Record<string, string>>,
): boolean {
  return requirements.every((r) => {
    const has = Object.prototype.hasOwnProperty.call(labels, r.key);
    const value = labels[r.key];
    switch (r.op) {
      case 'exists':
        return has;
      case 'notExists':
        return !has;
      case 'in':
        return has && r.values.includes(value ?? '');
      case 'notIn':
        return !has || !r.values.includes(value ?? '');
      case 'gt':
        return has && /^-?\d+$/.test(value ?? '') && Number(value) > r.value;
      case 'lt':
        return has && /^-?\d+$/.test(value ?? '') && Number(value) < r.value;
    }
  });
}
