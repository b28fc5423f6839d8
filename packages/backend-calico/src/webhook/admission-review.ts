// AdmissionReview v1 for pod CREATE: answer with a JSONPatch adding Calico's pool annotation when an Egress
// selects the pod, or allow it unchanged. Malformed input gets an error answer, never an exception.
import type { ClusterEgressTable, Labels } from '@egress-proxier/core';
import { POOLS_OWNER_ANNOTATION } from '../calico/ownership.js';
import { podPoolRequest } from './pod-pool-matcher.js';

export interface AdmissionDependencies {
  currentTable: () => ClusterEgressTable;
  /** The namespace's labels, or undefined when it cannot be found. */
  namespaceLabels: (namespace: string) => Promise<Labels | undefined>;
  /** Whether a pool exists and is ours (a pod that requests a missing pool cannot start). */
  isUsablePool: (name: string) => boolean | Promise<boolean>;
}

export interface HttpAnswer {
  status: number;
  body: unknown;
}

interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: { code: number; message: string };
  patchType?: 'JSONPatch';
  patch?: string;
  warnings?: string[];
}

type JsonPatchOperation = { op: 'add'; path: string; value: unknown };

export async function answerAdmissionReview(
  rawBody: string,
  deps: AdmissionDependencies,
): Promise<HttpAnswer> {
  let review: unknown;
  try {
    review = JSON.parse(rawBody);
  } catch (error) {
    return badRequest(`request body is not JSON: ${(error as Error).message}`);
  }
  if (
    !isObject(review) ||
    review['apiVersion'] !== 'admission.k8s.io/v1' ||
    review['kind'] !== 'AdmissionReview'
  ) {
    return badRequest('expected an admission.k8s.io/v1 AdmissionReview');
  }
  const request = review['request'];
  if (!isObject(request) || typeof request['uid'] !== 'string' || request['uid'] === '') {
    return badRequest('AdmissionReview has no request.uid');
  }
  const uid = request['uid'];
  const respond = (response: Omit<AdmissionResponse, 'uid'>): HttpAnswer => ({
    status: 200,
    body: { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid, ...response } },
  });
  const kind = request['kind'];
  const isPod = isObject(kind) && kind['group'] === '' && kind['kind'] === 'Pod';
  if (!isPod || request['operation'] !== 'CREATE') return respond({ allowed: true });
  const pod = request['object'];
  if (!isObject(pod)) {
    return respond({
      allowed: false,
      status: { code: 400, message: 'pod CREATE review has no request.object' },
    });
  }
  const metadata = isObject(pod['metadata']) ? pod['metadata'] : {};
  const namespace = typeof request['namespace'] === 'string' ? request['namespace'] : metadata['namespace'];
  if (typeof namespace !== 'string' || namespace === '') {
    return respond({
      allowed: false,
      status: { code: 400, message: 'pod CREATE review names no namespace' },
    });
  }
  const podLabels = stringMap(metadata['labels']);
  const podAnnotations = stringMap(metadata['annotations']);
  const namespaceLabels = await deps.namespaceLabels(namespace);
  if (namespaceLabels === undefined) {
    return respond({
      allowed: true,
      warnings: [`egress-proxier: namespace ${namespace} not found; no egress pool set`],
    });
  }
  const request_ = await podPoolRequest(deps.currentTable(), namespaceLabels, podLabels, deps.isUsablePool);
  if (request_ === undefined) return respond({ allowed: true });
  const taken = Object.keys(request_.annotations).filter((key) => podAnnotations[key] !== undefined);
  if (taken.length > 0) {
    // The pod asks for pools itself: its author's explicit choice wins, and they are told.
    return respond({
      allowed: true,
      warnings: [
        `egress-proxier: Egress ${request_.egressName} selects this pod but it already sets ${taken.join(', ')}`,
      ],
    });
  }
  const additions = { ...request_.annotations, [POOLS_OWNER_ANNOTATION]: request_.egressName };
  const operations: JsonPatchOperation[] =
    metadata['annotations'] === undefined || metadata['annotations'] === null
      ? [{ op: 'add', path: '/metadata/annotations', value: additions }]
      : Object.entries(additions).map(([key, value]) => ({
          op: 'add',
          path: `/metadata/annotations/${escapePointer(key)}`,
          value,
        }));
  return respond({
    allowed: true,
    patchType: 'JSONPatch',
    patch: Buffer.from(JSON.stringify(operations)).toString('base64'),
  });
}

function badRequest(message: string): HttpAnswer {
  return { status: 400, body: { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 400, message } };
}

/** RFC 6901: `~` → `~0`, `/` → `~1`. */
export function escapePointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringMap(value: unknown): Record<string, string> {
  if (!isObject(value)) return {};
  return Object.fromEntries(
    Object.entries(value).filter((e): e is [string, string] => typeof e[1] === 'string'),
  );
}
