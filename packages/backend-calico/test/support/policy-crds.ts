// Calico's GlobalNetworkPolicy CRD (shared/testdata/calico-crds/master-policy, a copy of Calico's own) and a
// stand-in Tier CRD (test/fixtures/tier-crd.yaml: shared/ holds none).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { StructuralSchema } from '@egress-proxier/testing';
import { calicoCrdDirectory, type Crd } from './calico-crds.js';

export function globalNetworkPolicyCrd(): Crd {
  const file = join(calicoCrdDirectory(), 'master-policy', 'projectcalico.org_globalnetworkpolicies.yaml');
  return parse(readFileSync(file, 'utf8')) as Crd;
}

export function globalNetworkPolicySchema(): StructuralSchema {
  const schema = globalNetworkPolicyCrd().spec.versions.find((v) => v.storage)?.schema.openAPIV3Schema;
  if (schema === undefined) throw new Error('the GlobalNetworkPolicy CRD has no storage version');
  return schema;
}

/** The Tier stand-in (test/fixtures/tier-crd.yaml). */
export function tierCrd(): Crd {
  return parse(readFileSync(new URL('../../../test/fixtures/tier-crd.yaml', import.meta.url), 'utf8')) as Crd;
}
