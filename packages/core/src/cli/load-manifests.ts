// Reads ordinary Kubernetes YAML (multi-document files, `List` objects) into an EgressModel, for
// `egress-proxier render`. Every error names the file, the document and the field.
import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { EGRESS_API_VERSION, EGRESS_KIND } from '../api/egress-types.js';
import { formatProblems } from '../api/field-problem.js';
import { slimNamespaceFrom, slimNodeFrom, slimPodFrom, type Converted } from '../cluster/from-kubernetes.js';
import type { EgressModel } from '../model/egress-model.js';

export interface ManifestLocation {
  file: string;
  /** 1-based position of the document in its file. */
  document: number;
  /** Index inside a `List` document, when the object came from one. */
  item?: number;
  kind: string;
  name: string;
}

export interface LoadedManifests {
  counts: Record<'Egress' | 'Pod' | 'Namespace' | 'Node', number>;
  /** Egress objects that failed validation; the model records them as rejected too. */
  invalidEgresses: { location: ManifestLocation; message: string }[];
}

export class ManifestError extends Error {
  override name = 'ManifestError';
}

export function describeLocation(location: ManifestLocation): string {
  const item = location.item === undefined ? '' : `, item ${location.item}`;
  const what = location.kind ? ` (${location.kind} ${location.name || '<unnamed>'})` : '';
  return `${location.file}: document ${location.document}${item}${what}`;
}

export async function loadManifestFiles(
  files: readonly string[],
  model: EgressModel,
  readText: (file: string) => Promise<string> = (file) =>
    isStdin(file) ? readStdin() : readFile(file, 'utf8'),
): Promise<LoadedManifests> {
  const loaded: LoadedManifests = {
    counts: { Egress: 0, Pod: 0, Namespace: 0, Node: 0 },
    invalidEgresses: [],
  };
  for (const file of await expandDirectories(files)) {
    let text: string;
    try {
      text = await readText(file);
    } catch (error) {
      throw new ManifestError(`${file}: cannot read: ${(error as Error).message}`);
    }
    const documents = parseAllDocuments(text);
    if (!Array.isArray(documents)) throw new ManifestError(`${file}: not a YAML stream`);
    documents.forEach((document, index) => {
      if (document.errors.length > 0) {
        throw new ManifestError(
          `${file}: document ${index + 1}: ${document.errors[0]?.message ?? 'invalid YAML'}`,
        );
      }
    });
    documents.forEach((document, index) => {
      const object: unknown = document.toJS();
      if (object === null || object === undefined) return;
      addObject(object, { file, document: index + 1, kind: '', name: '' }, model, loaded);
    });
  }
  return loaded;
}

function addObject(
  object: unknown,
  where: ManifestLocation,
  model: EgressModel,
  loaded: LoadedManifests,
): void {
  if (typeof object !== 'object' || Array.isArray(object)) {
    throw new ManifestError(`${where.file}: document ${where.document}: expected a Kubernetes object`);
  }
  const { apiVersion, kind, metadata, items } = object as Record<string, unknown>;
  const location: ManifestLocation = {
    ...where,
    kind: typeof kind === 'string' ? kind : '',
    name:
      typeof (metadata as { name?: unknown } | undefined)?.name === 'string'
        ? (metadata as { name: string }).name
        : '',
  };
  if (kind === 'List' || (typeof kind === 'string' && kind.endsWith('List') && Array.isArray(items))) {
    if (!Array.isArray(items))
      throw new ManifestError(`${describeLocation(location)}: items: must be a list`);
    items.forEach((item, index) => addObject(item, { ...where, item: index }, model, loaded));
    return;
  }
  const fail = (problems: string): never => {
    throw new ManifestError(`${describeLocation(location)}: ${problems}`);
  };
  const accept = <T>(converted: Converted<T>): T =>
    converted.problems.length === 0 ? converted.value : fail(formatProblems(converted.problems));

  switch (`${String(apiVersion)}/${String(kind)}`) {
    case `${EGRESS_API_VERSION}/${EGRESS_KIND}`: {
      const validation = model.upsertEgress(object);
      if (!validation.ok) {
        if (location.name === '') fail(formatProblems(validation.problems));
        loaded.invalidEgresses.push({ location, message: formatProblems(validation.problems) });
      }
      loaded.counts.Egress++;
      return;
    }
    case 'v1/Pod':
      model.upsertPod(accept(slimPodFrom(object)));
      loaded.counts.Pod++;
      return;
    case 'v1/Namespace':
      model.upsertNamespace(accept(slimNamespaceFrom(object)));
      loaded.counts.Namespace++;
      return;
    case 'v1/Node':
      model.upsertNode(accept(slimNodeFrom(object)));
      loaded.counts.Node++;
      return;
    default:
      fail(
        `unsupported object ${String(apiVersion)}/${String(kind)} (render reads Egress, Pod, Namespace, Node and List)`,
      );
  }
}

/** Like `kubectl apply -f DIR`: a directory stands for its .yaml, .yml and .json files, in name order. */
async function expandDirectories(files: readonly string[]): Promise<string[]> {
  const expanded: string[] = [];
  for (const file of files) {
    const info = isStdin(file) ? null : await stat(file).catch(() => null);
    if (!info?.isDirectory()) {
      expanded.push(file);
      continue;
    }
    const entries = (await readdir(file)).filter((name) => /\.(ya?ml|json)$/.test(name)).sort();
    expanded.push(...entries.map((name) => path.join(file, name)));
  }
  return expanded;
}

function isStdin(file: string): boolean {
  return file === '-' || file === '/dev/stdin';
}

/** Streams standard input: reading /dev/stdin as a file fails when it is a socket (as under execFile). */
async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
