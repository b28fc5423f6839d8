// Reads ordinary Kubernetes manifests (multi-document YAML, `List` objects, `kubectl get … -o json` dumps)
// into an EgressModel, for `egress-proxier render`. Each object is converted to its slim form as soon as it
// is read and the raw object dropped, so a dump of a large cluster costs little more than JSON.parse of it.
// Every error names the file, the document (and item) and the field.
import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { EGRESS_API_VERSION, EGRESS_KIND } from '../api/egress-types.js';
import { formatProblems } from '../api/field-problem.js';
import { slimNamespaceFrom, slimNodeFrom, slimPodFrom, type Converted } from '../cluster/from-kubernetes.js';
import type { EgressModel } from '../model/egress-model.js';
import { manifestDocuments } from './manifest-documents.js';
import { describeLocation, ManifestError, type ManifestLocation } from './manifest-location.js';

export { describeLocation, ManifestError, type ManifestLocation } from './manifest-location.js';

export interface LoadedManifests {
  counts: Record<'Egress' | 'Pod' | 'Namespace' | 'Node', number>;
  /** Egress objects that failed validation; the model records them as rejected too. */
  invalidEgresses: { location: ManifestLocation; message: string }[];
}

/** One `warning:` line on stderr per Egress that failed validation (render and trace go on without it). */
export function warnInvalidEgresses(loaded: LoadedManifests): void {
  for (const invalid of loaded.invalidEgresses)
    process.stderr.write(`warning: ${describeLocation(invalid.location)}: ${invalid.message}\n`);
}

const SUPPORTED = 'render reads Egress, Pod, Namespace, Node and List';

export async function loadManifestFiles(
  files: readonly string[],
  model: EgressModel,
  readText: (file: string) => Promise<string> = (file) =>
    isStdin(file) ? readStdin() : readFile(file, 'utf8'),
): Promise<LoadedManifests> {
  const loader = new ManifestLoader(model);
  for (const file of await expandDirectories(files)) {
    let text: string;
    try {
      text = await readText(file);
    } catch (error) {
      throw new ManifestError(`${file}: cannot read: ${(error as Error).message}`);
    }
    for (const { document, value } of manifestDocuments(text, file)) {
      if (value === null || value === undefined) continue;
      loader.add(value, { file, document, kind: '', name: '' });
    }
  }
  return loader.loaded;
}

/** Adds objects to the model, remembering where each came from to refuse a second definition. */
class ManifestLoader {
  readonly loaded: LoadedManifests = {
    counts: { Egress: 0, Pod: 0, Namespace: 0, Node: 0 },
    invalidEgresses: [],
  };
  /** Where each object was defined, by kind and (namespace/)name. */
  private readonly definedAt = new Map<string, ManifestLocation>();

  constructor(private readonly model: EgressModel) {}

  add(object: unknown, where: ManifestLocation): void {
    if (typeof object !== 'object' || object === null || Array.isArray(object)) {
      throw new ManifestError(`${describeLocation(where)}: expected a Kubernetes object`);
    }
    const { apiVersion, kind, metadata, items } = object as Record<string, unknown>;
    const meta = (typeof metadata === 'object' && metadata !== null ? metadata : {}) as Record<
      string,
      unknown
    >;
    const location: ManifestLocation = {
      ...where,
      kind: typeof kind === 'string' ? kind : '',
      name: typeof meta.name === 'string' ? meta.name : '',
    };
    const fail = (problems: string): never => {
      throw new ManifestError(`${describeLocation(location)}: ${problems}`);
    };
    if (typeof kind !== 'string' || kind === '') fail(`kind: missing (${SUPPORTED})`);
    if (typeof apiVersion !== 'string' || apiVersion === '') fail(`apiVersion: missing (${SUPPORTED})`);

    if (kind === 'List' || (location.kind.endsWith('List') && Array.isArray(items))) {
      if (!Array.isArray(items)) fail('items: must be a list');
      this.addItems(items as unknown[], where);
      return;
    }
    const accept = <T>(converted: Converted<T>): T =>
      converted.problems.length === 0 ? converted.value : fail(formatProblems(converted.problems));

    switch (`${String(apiVersion)}/${location.kind}`) {
      case `${EGRESS_API_VERSION}/${EGRESS_KIND}`: {
        this.defineOnce(location.name, location);
        const validation = this.model.upsertEgress(object);
        if (!validation.ok) {
          if (location.name === '') fail(formatProblems(validation.problems));
          this.loaded.invalidEgresses.push({ location, message: formatProblems(validation.problems) });
        }
        this.loaded.counts.Egress++;
        return;
      }
      case 'v1/Pod': {
        const pod = accept(slimPodFrom(object));
        this.defineOnce(`${pod.namespace}/${pod.name}`, location);
        this.model.upsertPod(pod);
        this.loaded.counts.Pod++;
        return;
      }
      case 'v1/Namespace': {
        const namespace = accept(slimNamespaceFrom(object));
        this.defineOnce(namespace.name, location);
        this.model.upsertNamespace(namespace);
        this.loaded.counts.Namespace++;
        return;
      }
      case 'v1/Node': {
        const node = accept(slimNodeFrom(object));
        this.defineOnce(node.name, location);
        this.model.upsertNode(node);
        this.loaded.counts.Node++;
        return;
      }
      default:
        fail(`unsupported object ${String(apiVersion)}/${location.kind} (${SUPPORTED})`);
    }
  }

  private addItems(items: unknown[], where: ManifestLocation): void {
    for (let index = 0; index < items.length; index++) {
      this.add(items[index], { ...where, item: index + 1 });
      // Let the raw item go now: the slim object is all the model keeps, and a dump's items are most of it.
      items[index] = undefined;
    }
  }

  /** Refuses a second object of the same kind and name: which one the table used would depend on file order. */
  private defineOnce(name: string, location: ManifestLocation): void {
    if (name === '' || name === '/') return; // the converter or validation reports the missing name
    const key = `${location.kind}/${name}`;
    const first = this.definedAt.get(key);
    if (first) {
      throw new ManifestError(
        `${describeLocation(location)}: metadata.name: ${location.kind} ${name} is already defined at ${describeLocation(first)}`,
      );
    }
    this.definedAt.set(key, location);
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
