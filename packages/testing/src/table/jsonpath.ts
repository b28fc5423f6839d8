import { isJsonObject, type JsonValue } from '../api/kube-object.js';

/**
 * The JSONPath subset printer columns use: `.a.b`, `['a.b']`, `[0]`, `[*]` and `[?(@.k=="v")]` filters.
 * Returns every match in document order; an unsupported expression throws.
 */
type Step =
  | { kind: 'field'; name: string }
  | { kind: 'index'; index: number }
  | { kind: 'all' }
  | { kind: 'filter'; path: string[]; op: '==' | '!='; value: string };

function parseSteps(expression: string): Step[] {
  const text = expression
    .trim()
    .replace(/^\{(.*)\}$/, '$1')
    .replace(/^\$/, '');
  const steps: Step[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (ch === '.') {
      const m = /^\.([^.[\]]+)/.exec(text.slice(i));
      if (!m) throw new Error(`unsupported JSONPath: ${expression}`);
      steps.push({ kind: 'field', name: m[1] ?? '' });
      i += m[0].length;
    } else if (ch === '[') {
      // A filter's closing ')' comes right before its ']'; quoted values may hold brackets.
      const end = text[i + 1] === '?' ? text.indexOf(')]', i) + 1 : text.indexOf(']', i);
      if (end <= 0) throw new Error(`unsupported JSONPath: ${expression}`);
      const inner = text.slice(i + 1, end).trim();
      i = end + 1;
      const filter = /^\?\(@((?:\.[^.=!\s]+)+)\s*(==|!=)\s*["']?([^"']*)["']?\)$/.exec(inner);
      const quoted = /^['"](.*)['"]$/.exec(inner);
      if (inner === '*') steps.push({ kind: 'all' });
      else if (/^-?\d+$/.test(inner)) steps.push({ kind: 'index', index: Number(inner) });
      else if (quoted) steps.push({ kind: 'field', name: quoted[1] ?? '' });
      else if (filter)
        steps.push({
          kind: 'filter',
          path: (filter[1] ?? '').slice(1).split('.'),
          op: filter[2] === '!=' ? '!=' : '==',
          value: filter[3] ?? '',
        });
      else throw new Error(`unsupported JSONPath: ${expression}`);
    } else throw new Error(`unsupported JSONPath: ${expression}`);
  }
  return steps;
}

function lookup(value: JsonValue | undefined, path: string[]): JsonValue | undefined {
  let current = value;
  for (const p of path) current = isJsonObject(current) ? current[p] : undefined;
  return current;
}

function scalarText(value: JsonValue | undefined): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function applyStep(values: JsonValue[], step: Step): JsonValue[] {
  const out: JsonValue[] = [];
  for (const v of values) {
    if (step.kind === 'field') {
      const next = isJsonObject(v) ? v[step.name] : undefined;
      if (next !== undefined) out.push(next);
    } else if (Array.isArray(v)) {
      if (step.kind === 'all') out.push(...v);
      else if (step.kind === 'index') {
        const item = v[step.index < 0 ? v.length + step.index : step.index];
        if (item !== undefined) out.push(item);
      } else
        out.push(
          ...v.filter((item) => (scalarText(lookup(item, step.path)) === step.value) === (step.op === '==')),
        );
    }
  }
  return out;
}

export function evaluateJsonPath(expression: string, document: JsonValue): JsonValue[] {
  return parseSteps(expression).reduce<JsonValue[]>((values, step) => applyStep(values, step), [document]);
}
