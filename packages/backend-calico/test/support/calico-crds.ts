// Calico's real CustomResourceDefinitions (see shared/testdata/calico-crds/SOURCES.md), per release.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import type { StructuralSchema } from '@egress-proxier/testing';

export const CALICO_VERSIONS = ['v3.30.7', 'v3.31.7', 'v3.32.1', 'master'] as const;
export type CalicoVersion = (typeof CALICO_VERSIONS)[number];

export interface Crd {
  apiVersion: 'apiextensions.k8s.io/v1';
  kind: 'CustomResourceDefinition';
  metadata: { name: string };
  spec: {
    group: string;
    versions: {
      name: string;
      served: boolean;
      storage: boolean;
      schema: { openAPIV3Schema: StructuralSchema };
    }[];
  };
}

/** shared/ lies beside the repository checkout (as on developer machines and in CI). */
export function calicoCrdDirectory(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  // dist/test/support → packages/backend-calico → repo root
  const repoRoot = resolve(here, '../../../../..');
  const directory = join(repoRoot, '..', 'shared', 'testdata', 'calico-crds');
  if (!existsSync(directory)) {
    throw new Error(
      `Calico CRD test data not found at ${directory}: shared/ must be checked out beside the repo`,
    );
  }
  return directory;
}

export function loadCalicoCrds(version: CalicoVersion): Crd[] {
  const directory = join(calicoCrdDirectory(), version);
  return readdirSync(directory)
    .filter((file) => file.endsWith('.yaml'))
    .sort()
    .map((file) => parse(readFileSync(join(directory, file), 'utf8')) as Crd);
}

/** The storage version's schema of `ippools.<group>` in a release, if that release has it. */
export function ipPoolSchema(crds: readonly Crd[], group: string): StructuralSchema | undefined {
  const crd = crds.find((c) => c.metadata.name === `ippools.${group}`);
  return crd?.spec.versions.find((v) => v.storage)?.schema.openAPIV3Schema;
}
