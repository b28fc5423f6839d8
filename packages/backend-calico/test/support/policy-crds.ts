// Calico's GlobalNetworkPolicy CRD (shared/testdata/calico-crds/master-policy, a copy of Calico's own) and a
// Tier CRD. shared/ holds no Tier CRD, so this one is written here with only the fields we set: the in-memory
// API server needs it to serve tiers at all; it proves nothing about Calico's Tier schema.
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

export function tierCrd(): Crd {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'tiers.projectcalico.org' },
    spec: {
      group: 'projectcalico.org',
      names: { kind: 'Tier', listKind: 'TierList', plural: 'tiers', singular: 'tier' },
      scope: 'Cluster',
      versions: [
        {
          name: 'v3',
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: {
                apiVersion: { type: 'string' },
                kind: { type: 'string' },
                metadata: { type: 'object' },
                spec: {
                  type: 'object',
                  properties: {
                    order: { type: 'number' },
                    defaultAction: { type: 'string', enum: ['Pass', 'Deny'] },
                  },
                },
              },
            },
          },
        },
      ],
    },
  } as Crd;
}
