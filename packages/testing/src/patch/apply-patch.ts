import jsonPatch from 'fast-json-patch';
import type { Operation } from 'fast-json-patch';
import { deepCopy, isJsonObject, type JsonValue, type KubeObject } from '../api/kube-object.js';
import { badRequest, StatusError, unsupportedMediaType } from '../api/status-error.js';
import { applyMergePatch } from './merge-patch.js';
import { strategicMerge, type MergeKeys } from './strategic-merge-patch.js';

export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';

const contentTypes: Readonly<Record<string, PatchType>> = {
  'application/json-patch+json': 'json',
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
  'application/apply-patch+yaml': 'apply',
};

export function patchTypeOf(contentType: string | undefined): PatchType {
  const base = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  const type = contentTypes[base];
  if (!type) throw unsupportedMediaType(base);
  return type;
}

function parseBody(body: string): JsonValue {
  try {
    return JSON.parse(body) as JsonValue;
  } catch (e) {
    throw badRequest(`error decoding patch: ${(e as Error).message}`);
  }
}

/** Applies a PATCH body to the current object; the caller validates and stores the result. */
export function applyPatch(
  current: KubeObject,
  type: PatchType,
  body: string,
  mergeKeys: MergeKeys,
): KubeObject {
  const patch = parseBody(body);
  let result: JsonValue;
  switch (type) {
    case 'json': {
      if (!Array.isArray(patch))
        throw badRequest('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
      try {
        result = jsonPatch.applyPatch(deepCopy(current), patch as unknown as Operation[], true, false)
          .newDocument as unknown as JsonValue;
      } catch (e) {
        const message = e instanceof Error ? (e.message.split('\n')[0] ?? e.message) : String(e);
        throw new StatusError(
          422,
          'Invalid',
          `the server rejected our request due to an error in our request: ${message}`,
        );
      }
      break;
    }
    case 'merge':
      if (!isJsonObject(patch))
        throw badRequest('json: cannot unmarshal array into Go value of type map[string]interface {}');
      result = applyMergePatch(current as unknown as JsonValue, patch);
      break;
    case 'strategic':
      if (!isJsonObject(patch))
        throw badRequest('json: cannot unmarshal array into Go value of type map[string]interface {}');
      result = strategicMerge(current as unknown as JsonValue, patch, mergeKeys);
      break;
    case 'apply':
      throw new StatusError(
        415,
        'UnsupportedMediaType',
        'server-side apply is not supported by this test API server; use client-side apply',
      );
  }
  if (!isJsonObject(result) || !isJsonObject(result['metadata']))
    throw new StatusError(422, 'Invalid', 'the patch removed the object metadata');
  return result as unknown as KubeObject;
}
