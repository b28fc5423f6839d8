import type { JsonObject, KubeObject, ObjectMeta } from '../api/kube-object.js';
import { StatusError } from '../api/status-error.js';

/**
 * kubectl 1.32's `create namespace|configmap|secret|serviceaccount` send protobuf bodies (typed clients).
 * This decodes just those kinds, field numbers from k8s.io/api generated.proto; anything else gets 415.
 */
type Field = { number: number; wire: number; varint?: bigint; bytes?: Buffer };

function readVarint(buf: Buffer, at: number): [bigint, number] {
  let value = 0n;
  let shift = 0n;
  for (;;) {
    const byte = buf[at++];
    if (byte === undefined) throw new Error('truncated varint');
    value |= BigInt(byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) return [value, at];
    shift += 7n;
  }
}

function fields(buf: Buffer): Field[] {
  const out: Field[] = [];
  let at = 0;
  while (at < buf.length) {
    const [key, next] = readVarint(buf, at);
    at = next;
    const number = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (wire === 0) {
      const [varint, after] = readVarint(buf, at);
      out.push({ number, wire, varint });
      at = after;
    } else if (wire === 2) {
      const [length, after] = readVarint(buf, at);
      const end = after + Number(length);
      out.push({ number, wire, bytes: buf.subarray(after, end) });
      at = end;
    } else if (wire === 1) at += 8;
    else if (wire === 5) at += 4;
    else throw new Error(`unsupported wire type ${wire}`);
  }
  return out;
}

const text = (f: Field | undefined): string => f?.bytes?.toString('utf8') ?? '';

function mapEntries(list: Field[], number: number, binary: boolean): Record<string, string> | undefined {
  const entries = list.filter((f) => f.number === number && f.bytes);
  if (entries.length === 0) return undefined;
  const map: Record<string, string> = {};
  for (const e of entries) {
    const kv = fields(e.bytes ?? Buffer.alloc(0));
    const value = kv.find((f) => f.number === 2)?.bytes ?? Buffer.alloc(0);
    map[text(kv.find((f) => f.number === 1))] = binary ? value.toString('base64') : value.toString('utf8');
  }
  return map;
}

function objectMeta(buf: Buffer | undefined): ObjectMeta {
  const list = fields(buf ?? Buffer.alloc(0));
  const meta: ObjectMeta = {};
  const str = (n: number, key: 'name' | 'generateName' | 'namespace') => {
    const value = text(list.find((x) => x.number === n));
    if (value) meta[key] = value;
  };
  str(1, 'name');
  str(2, 'generateName');
  str(3, 'namespace');
  const labels = mapEntries(list, 11, false);
  const annotations = mapEntries(list, 12, false);
  if (labels) meta.labels = labels;
  if (annotations) meta.annotations = annotations;
  const finalizers = list.filter((f) => f.number === 14).map(text);
  if (finalizers.length > 0) meta.finalizers = finalizers;
  return meta;
}

function body(kind: string, list: Field[]): JsonObject {
  const out: JsonObject = {};
  if (kind === 'ConfigMap' || kind === 'Secret') {
    const data = mapEntries(list, 2, kind === 'Secret');
    if (data) out['data'] = data;
  }
  if (kind === 'ConfigMap') {
    const binaryData = mapEntries(list, 3, true);
    if (binaryData) out['binaryData'] = binaryData;
  }
  if (kind === 'Secret') {
    const type = list.find((f) => f.number === 3);
    if (type) out['type'] = text(type);
    const stringData = mapEntries(list, 4, false);
    if (stringData) out['stringData'] = stringData;
  }
  return out;
}

const decodable = new Set(['Namespace', 'ConfigMap', 'Secret', 'ServiceAccount']);

export function decodeProtobufObject(raw: Buffer): KubeObject {
  const magic = Buffer.from([0x6b, 0x38, 0x73, 0x00]);
  if (raw.length < 4 || !raw.subarray(0, 4).equals(magic))
    throw new StatusError(400, 'BadRequest', 'protobuf body without the k8s envelope');
  const envelope = fields(raw.subarray(4));
  const typeMeta = fields(envelope.find((f) => f.number === 1)?.bytes ?? Buffer.alloc(0));
  const apiVersion = text(typeMeta.find((f) => f.number === 1));
  const kind = text(typeMeta.find((f) => f.number === 2));
  if (apiVersion !== 'v1' || !decodable.has(kind))
    throw new StatusError(
      415,
      'UnsupportedMediaType',
      `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml (protobuf is decoded only for v1 ${[...decodable].join(', ')}; got ${apiVersion} ${kind})`,
    );
  const object = fields(envelope.find((f) => f.number === 2)?.bytes ?? Buffer.alloc(0));
  return {
    apiVersion,
    kind,
    metadata: objectMeta(object.find((f) => f.number === 1)?.bytes),
    ...body(kind, object),
  };
}
