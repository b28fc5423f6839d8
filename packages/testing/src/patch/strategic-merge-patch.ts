import { isJsonObject, type JsonObject, type JsonValue } from '../api/kube-object.js';
import { badRequest } from '../api/status-error.js';

/**
 * Strategic merge patch, simplified: maps merge like a merge patch; lists of objects whose field name has
 * a known merge key (containers by name, conditions by type…) merge element-wise by that key, honouring
 * `$patch: delete|replace|merge`; `$deleteFromPrimitiveList/<field>` removes values; `$setElementOrder` and
 * `$retainKeys` are accepted and ignored. Any other list is replaced, where the real server may merge.
 */
export type MergeKeys = Readonly<Record<string, readonly string[]>>;

const ignoredDirectivePrefixes = ['$setElementOrder/', '$retainKeys'];

function mergeKeyFor(field: string, items: JsonValue[], keys: MergeKeys): string | undefined {
  const candidates = keys[field];
  if (!candidates) return undefined;
  return candidates.find((k) => items.every((item) => isJsonObject(item) && item[k] !== undefined));
}

function mergeList(
  field: string,
  original: JsonValue | undefined,
  patch: JsonValue[],
  keys: MergeKeys,
): JsonValue[] {
  const replace = patch.some((p) => isJsonObject(p) && p['$patch'] === 'replace');
  if (replace) return patch.filter((p) => !(isJsonObject(p) && p['$patch'] === 'replace'));
  const base = Array.isArray(original) ? original : [];
  const keyed = patch.filter((p) => !(isJsonObject(p) && p['$patch'] === 'delete'));
  const mergeKey = mergeKeyFor(field, [...base, ...keyed], keys);
  if (!mergeKey) return patch;
  const result = [...base];
  for (const item of patch) {
    const obj = item as JsonObject;
    const index = result.findIndex((r) => isJsonObject(r) && r[mergeKey] === obj[mergeKey]);
    if (obj['$patch'] === 'delete') {
      if (index >= 0) result.splice(index, 1);
    } else if (index >= 0) result[index] = strategicMerge(result[index], obj, keys);
    else result.push(strategicMerge(undefined, obj, keys));
  }
  return result;
}

export function strategicMerge(
  original: JsonValue | undefined,
  patch: JsonValue,
  keys: MergeKeys,
): JsonValue {
  if (!isJsonObject(patch)) return patch;
  const directive = patch['$patch'];
  if (directive === 'delete') return null;
  if (directive === 'replace') {
    const { $patch: _ignored, ...rest } = patch;
    return rest;
  }
  if (directive !== undefined && directive !== 'merge')
    throw badRequest(`unknown patch type: ${String(directive)}`);
  const result: JsonObject = isJsonObject(original) ? { ...original } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (key === '$patch' || value === undefined) continue;
    if (ignoredDirectivePrefixes.some((p) => key.startsWith(p))) continue;
    if (key.startsWith('$deleteFromPrimitiveList/')) {
      const field = key.slice('$deleteFromPrimitiveList/'.length);
      const current = result[field];
      if (Array.isArray(current) && Array.isArray(value))
        result[field] = current.filter((v) => !value.includes(v));
      continue;
    }
    if (value === null) delete result[key];
    else if (Array.isArray(value)) result[key] = mergeList(key, result[key], value, keys);
    else if (isJsonObject(value)) {
      const merged = strategicMerge(result[key], value, keys);
      if (merged === null) delete result[key];
      else result[key] = merged;
    } else result[key] = value;
  }
  return result;
}
