// Rendering deploy/ with kubectl's built-in kustomize and reading multi-document YAML into plain objects.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

/** `kubectl kustomize DIR`, parsed; throws with a clear message when kubectl is missing or kustomize fails. */
export function kustomizeBuild(dir: string): Manifest[] {
  let output: string;
  try {
    output = execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const failure = error as NodeJS.ErrnoException & { stderr?: string };
    if (failure.code === 'ENOENT') {
      throw new Error('kubectl is not on PATH: these tests render deploy/ with `kubectl kustomize` (kubectl 1.32 client)', {
        cause: error,
      });
    }
    throw new Error(`kubectl kustomize ${dir} failed: ${failure.stderr ?? failure.message}`, { cause: error });
  }
  return parseManifests(output, `kubectl kustomize ${dir}`);
}

/**
 * `base` with `components` applied, as a user's kustomization outside the repository renders them: a
 * Component cannot be built alone, and kustomize refuses absolute paths, so the temporary kustomization
 * names them relative to itself.
 */
export function kustomizeBuildWithComponents(base: string, components: readonly string[]): Manifest[] {
  const dir = mkdtempSync(path.join(tmpdir(), 'egress-proxier-kustomize-'));
  try {
    const relative = (target: string) => JSON.stringify(path.relative(dir, target));
    const kustomization = [
      'apiVersion: kustomize.config.k8s.io/v1beta1',
      'kind: Kustomization',
      `resources: [${relative(base)}]`,
      `components: [${components.map(relative).join(', ')}]`,
      '',
    ].join('\n');
    writeFileSync(path.join(dir, 'kustomization.yaml'), kustomization);
    return kustomizeBuild(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function readManifestFile(file: string): Manifest[] {
  return parseManifests(readFileSync(file, 'utf8'), file);
}

/** Every non-empty document of a YAML stream; each must be an object with apiVersion, kind and a name. */
export function parseManifests(text: string, source: string): Manifest[] {
  const manifests: Manifest[] = [];
  for (const [index, document] of parseAllDocuments(text).entries()) {
    if (document.errors.length > 0) {
      throw new Error(`${source}, document ${index}: ${document.errors.map((e) => e.message).join('; ')}`);
    }
    const value: unknown = document.toJS();
    if (value === null || value === undefined) continue;
    if (!isManifest(value)) {
      throw new Error(`${source}, document ${index}: not a Kubernetes object (apiVersion, kind, metadata.name)`);
    }
    manifests.push(value);
  }
  return manifests;
}

function isManifest(value: unknown): value is Manifest {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const object = value as Record<string, unknown>;
  const metadata = object['metadata'] as Record<string, unknown> | undefined;
  return (
    typeof object['apiVersion'] === 'string' &&
    typeof object['kind'] === 'string' &&
    typeof metadata === 'object' &&
    metadata !== null &&
    typeof metadata['name'] === 'string'
  );
}

export function describeManifest(manifest: Manifest): string {
  const { namespace, name } = manifest.metadata;
  return `${manifest.apiVersion} ${manifest.kind} ${namespace === undefined ? '' : `${namespace}/`}${name}`;
}
