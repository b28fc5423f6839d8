import { isJsonObject, type KubeObject } from '../api/kube-object.js';
import { badRequest } from '../api/status-error.js';

export interface FieldRequirement {
  field: string;
  op: 'eq' | 'neq';
  value: string;
}

/** Splits on an unescaped separator; the field selector syntax escapes `\,` `\=` `\\`. */
function splitUnescaped(text: string, separator: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] ?? '';
    if (ch === '\\' && i + 1 < text.length) {
      current += ch + (text[i + 1] ?? '');
      i++;
    } else if (ch === separator) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);
  return parts;
}

function unescape(text: string): string {
  return text.replace(/\\(.)/g, '$1');
}

export function parseFieldSelector(selector: string): FieldRequirement[] {
  if (selector.trim() === '') return [];
  return splitUnescaped(selector, ',').map((part) => {
    const m = /^(.*?)(==|!=|=)(.*)$/.exec(part);
    if (!m)
      throw badRequest(
        `invalid field selector: '${part}': invalid selector: '${selector}'; can't understand '${part}'`,
      );
    return { field: (m[1] ?? '').trim(), op: m[2] === '!=' ? 'neq' : 'eq', value: unescape(m[3] ?? '') };
  });
}

/**
 * A core/v1 Event's `source` field is computed (pkg/registry/core/event: `source.component`, else
 * `reportingComponent`); every other selectable field is the value at its path.
 */
const computedFields: Readonly<Record<string, Readonly<Record<string, (object: KubeObject) => string>>>> = {
  Event: {
    source: (object) => fieldValue(object, 'source.component') || fieldValue(object, 'reportingComponent'),
  },
};

/** Fields every kind supports, plus the per-kind extras the project relies on. */
const extraFields: Readonly<Record<string, readonly string[]>> = {
  Pod: ['spec.nodeName', 'status.phase', 'spec.schedulerName', 'spec.serviceAccountName'],
  // The real server's full list (EventToSelectableFields): `kubectl describe` of any object selects on
  // involvedObject name, namespace, kind and uid.
  Event: [
    'involvedObject.kind',
    'involvedObject.namespace',
    'involvedObject.name',
    'involvedObject.uid',
    'involvedObject.apiVersion',
    'involvedObject.resourceVersion',
    'involvedObject.fieldPath',
    'reason',
    'reportingComponent',
    'source',
    'type',
  ],
  Secret: ['type'],
  Namespace: ['status.phase'],
  Node: ['spec.unschedulable'],
};

/** Rejects fields the kind cannot be selected on, with the real server's message. */
export function checkSupportedFields(requirements: readonly FieldRequirement[], kind: string): void {
  for (const r of requirements) {
    if (r.field === 'metadata.name' || r.field === 'metadata.namespace') continue;
    if (extraFields[kind]?.includes(r.field)) continue;
    throw badRequest(`field label not supported: ${r.field}`);
  }
}

function fieldValue(object: KubeObject, path: string): string {
  let current: unknown = object;
  for (const segment of path.split('.')) {
    current = isJsonObject(current) ? current[segment] : undefined;
  }
  if (current === undefined || current === null) return '';
  return typeof current === 'string' ? current : JSON.stringify(current);
}

export function matchesFields(requirements: readonly FieldRequirement[], object: KubeObject): boolean {
  const computed = object.kind === undefined ? undefined : computedFields[object.kind];
  return requirements.every((r) => {
    const value = computed?.[r.field]?.(object) ?? fieldValue(object, r.field);
    return (value === r.value) === (r.op === 'eq');
  });
}
