// The Egress CRD against the core's API types, its structural-schema bounds, and the examples in examples/.
// The examples are checked with the in-memory API server's schema engine, CEL rules included; every rule's
// refusals, as kubectl shows them, are in test/src/kubectl/egress-crd-rules.test.ts.
import {
  DEFAULT_GATEWAY_NODE_SELECTOR,
  EGRESS_API_VERSION,
  EGRESS_GROUP,
  EGRESS_KIND,
  EGRESS_PLURAL,
  EGRESS_VERSION,
  FAILURE_POLICIES,
  MAX_EGRESS_IPS,
} from '@egress-proxier/core';
import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { readManifestFile, type Manifest } from './manifest-yaml.js';
import { REPO_ROOT } from './repo-root.js';
import { validateCustomObject, withDefaults, type StructuralSchema } from '@egress-proxier/testing';

const CRD_FILE = path.join(REPO_ROOT, 'deploy/crd/egress.proxier.io_egresses.yaml');
const EXAMPLES_DIR = path.join(REPO_ROOT, 'examples');
const API_REFERENCE = path.join(REPO_ROOT, 'docs/api-reference.md');

interface CrdVersion {
  name: string;
  served: boolean;
  storage: boolean;
  subresources?: { status?: object };
  additionalPrinterColumns?: { name: string; type: string; jsonPath: string }[];
  schema: { openAPIV3Schema: StructuralSchema };
}
interface CrdManifest extends Manifest {
  spec: {
    group: string;
    scope: string;
    names: { plural: string; singular: string; kind: string; shortNames?: string[]; categories?: string[] };
    versions: CrdVersion[];
  };
}

function loadCrd(): CrdManifest {
  const [crd, ...rest] = readManifestFile(CRD_FILE);
  if (crd === undefined || rest.length > 0) throw new Error(`${CRD_FILE} must hold exactly one document`);
  return crd as CrdManifest;
}

/** The schema node at a dotted path of property names, `[]` stepping into array items. */
function schemaAt(root: StructuralSchema, dotted: string): StructuralSchema {
  let node = root;
  for (const step of dotted.split('.')) {
    const next = step === '[]' ? node.items : node.properties?.[step];
    if (next === undefined) throw new Error(`no schema at ${dotted} (stopped at ${step})`);
    node = next;
  }
  return node;
}

function rulesAt(root: StructuralSchema, dotted: string): string[] {
  return (schemaAt(root, dotted)['x-kubernetes-validations'] ?? []).map((r) => r.rule);
}

function exampleFiles(): string[] {
  return readdirSync(EXAMPLES_DIR)
    .filter((name) => /^egress-.*\.yaml$/.test(name))
    .sort()
    .map((name) => path.join(EXAMPLES_DIR, name));
}

describe('Egress CRD', () => {
  const crd = loadCrd();
  const version = crd.spec.versions[0] as CrdVersion;
  const root = version.schema.openAPIV3Schema;
  const spec = schemaAt(root, 'spec');

  it('registers the group, version, kind and names the core uses, cluster-scoped', () => {
    expect(crd.metadata.name).to.equal(`${EGRESS_PLURAL}.${EGRESS_GROUP}`);
    expect(crd.spec.group).to.equal(EGRESS_GROUP);
    expect(crd.spec.scope).to.equal('Cluster');
    expect(crd.spec.names).to.deep.include({
      plural: EGRESS_PLURAL,
      singular: 'egress',
      kind: EGRESS_KIND,
      shortNames: ['eg'],
      categories: ['egress-proxier'],
    });
    expect(crd.spec.versions).to.have.lengthOf(1);
    expect(version).to.deep.include({ name: EGRESS_VERSION, served: true, storage: true });
    expect(version.subresources).to.deep.equal({ status: {} });
  });

  it('prints egress IPs, nodes, pods, readiness and age', () => {
    expect(version.additionalPrinterColumns?.map((c) => [c.name.toUpperCase(), c.type, c.jsonPath])).to.deep.equal([
      ['EGRESS-IPS', 'string', '.spec.egressIPs'],
      ['NODE', 'string', '.status.assignments[*].node'],
      ['PODS', 'integer', '.status.selectedPods'],
      ['READY', 'string', '.status.conditions[?(@.type=="Ready")].status'],
      ['AGE', 'date', '.metadata.creationTimestamp'],
    ]);
  });

  it('matches the core’s limits, enums and defaults', () => {
    expect(schemaAt(root, 'spec.egressIPs')).to.deep.include({ minItems: 1, maxItems: MAX_EGRESS_IPS });
    expect(schemaAt(root, 'spec.egressIPs')['x-kubernetes-list-type']).to.equal('set');
    expect(schemaAt(root, 'spec.failurePolicy').enum).to.deep.equal([...FAILURE_POLICIES]);
    expect(schemaAt(root, 'spec.failurePolicy').default).to.equal('FailClosed');
    expect(schemaAt(root, 'spec.gatewayNodeSelector').default).to.deep.equal(DEFAULT_GATEWAY_NODE_SELECTOR);
    expect(schemaAt(root, 'spec.priority')).to.deep.include({
      type: 'integer',
      format: 'int32',
      minimum: -(2 ** 31),
      maximum: 2 ** 31 - 1,
      default: 0,
    });
    expect(spec.required).to.deep.equal(['egressIPs']);
  });

  it('describes the three label selectors as the same metav1.LabelSelector schema', () => {
    const withoutDocs = (s: StructuralSchema): StructuralSchema => ({ ...s, description: undefined, default: undefined });
    const [first, ...others] = ['namespaceSelector', 'podSelector', 'gatewayNodeSelector'].map((f) =>
      withoutDocs(schemaAt(spec, f)),
    );
    for (const other of others) expect(other).to.deep.equal(first);
    expect(schemaAt(spec, 'podSelector.matchExpressions.[].operator').enum).to.deep.equal([
      'In',
      'NotIn',
      'Exists',
      'DoesNotExist',
    ]);
    expect(schemaAt(spec, 'podSelector.matchExpressions.[]').required).to.deep.equal(['key', 'operator']);
  });

  it('puts CEL rules on the fields they check', () => {
    const [selectorRule, ...familyRules] = rulesAt(root, 'spec');
    expect(selectorRule).to.equal('has(self.namespaceSelector) || has(self.podSelector)');
    expect(familyRules.map((rule) => /^!has\(self\.(\w+)\)/.exec(rule)?.[1])).to.deep.equal([
      'destinationCIDRs',
      'excludedCIDRs',
    ]);
    const ipRules = rulesAt(root, 'spec.egressIPs.[]').join(' && ');
    for (const fn of ['isIP(self)', 'ip.isCanonical(self)', 'ip(self).isGlobalUnicast()']) {
      expect(ipRules).to.include(fn);
    }
    for (const field of ['destinationCIDRs', 'excludedCIDRs']) {
      expect(rulesAt(root, `spec.${field}.[]`)).to.deep.equal(['isCIDR(self) && string(cidr(self).masked()) == self']);
    }
    for (const selector of ['namespaceSelector', 'podSelector', 'gatewayNodeSelector']) {
      expect(rulesAt(spec, `${selector}.matchExpressions.[]`)).to.have.lengthOf(1);
    }
  });

  it('bounds every string, list and map so the CEL cost estimator accepts the rules', () => {
    const unbounded: string[] = [];
    const walk = (node: StructuralSchema, at: string): void => {
      if (node.type === 'string' && node.maxLength === undefined && node.enum === undefined) unbounded.push(at);
      if (node.type === 'array' && node.maxItems === undefined) unbounded.push(at);
      if (node.additionalProperties !== undefined && node.maxProperties === undefined) unbounded.push(at);
      for (const [key, child] of Object.entries(node.properties ?? {})) walk(child, `${at}.${key}`);
      if (node.items !== undefined) walk(node.items, `${at}[]`);
      if (node.additionalProperties !== undefined) walk(node.additionalProperties, `${at}{}`);
    };
    walk(spec, 'spec');
    walk(schemaAt(root, 'status'), 'status');
    // Only status.conditions[].lastTransitionTime may go without maxLength: a date-time has a bounded form.
    expect(unbounded).to.deep.equal(['status.conditions[].lastTransitionTime']);
  });

  it('keeps status conditions a metav1.Condition list keyed by type', () => {
    const conditions = schemaAt(root, 'status.conditions');
    expect(conditions['x-kubernetes-list-type']).to.equal('map');
    expect(conditions['x-kubernetes-list-map-keys']).to.deep.equal(['type']);
    expect(schemaAt(conditions, '[]').required).to.have.members(['type', 'status', 'lastTransitionTime', 'reason', 'message']);
    expect(schemaAt(conditions, '[].status').enum).to.deep.equal(['True', 'False', 'Unknown']);
  });

  describe('examples/', () => {
    const files = exampleFiles();

    it('has the three user-story examples', () => {
      expect(files.map((f) => path.basename(f))).to.deep.equal([
        'egress-namespace.yaml',
        'egress-per-destination.yaml',
        'egress-pod-selector.yaml',
      ]);
    });

    for (const file of files) {
      it(`${path.basename(file)} passes the schema and its CEL rules`, () => {
        const objects = readManifestFile(file);
        expect(objects).not.to.have.lengthOf(0);
        for (const object of objects) {
          expect(object.apiVersion).to.equal(EGRESS_API_VERSION);
          expect(object.kind).to.equal(EGRESS_KIND);
          const defaulted = withDefaults(object, root) as Record<string, unknown>;
          expect(validateCustomObject(defaulted, root), object.metadata.name).to.deep.equal([]);
        }
      });

      it(`${path.basename(file)} appears verbatim in docs/api-reference.md`, () => {
        const yaml = readFileSync(file, 'utf8').trim();
        expect(readFileSync(API_REFERENCE, 'utf8')).to.include(yaml);
      });
    }

    it('defaults failurePolicy, priority and gatewayNodeSelector', () => {
      const [story1] = readManifestFile(path.join(EXAMPLES_DIR, 'egress-namespace.yaml'));
      const defaulted = withDefaults(story1, root) as { spec: Record<string, unknown> };
      expect(defaulted.spec).to.deep.include({
        failurePolicy: 'FailClosed',
        priority: 0,
        gatewayNodeSelector: DEFAULT_GATEWAY_NODE_SELECTOR,
      });
    });
  });

  describe('rejects by schema (the OpenAPI part)', () => {
    const valid = (): Record<string, unknown> & { spec: Record<string, unknown> } => ({
      apiVersion: EGRESS_API_VERSION,
      kind: EGRESS_KIND,
      metadata: { name: 'case' },
      spec: { podSelector: { matchLabels: { app: 'web' } }, egressIPs: ['192.0.2.10'] },
    });
    const condition = { type: 'Ready', status: 'True', reason: 'Programmed', message: '' };
    const cases: { name: string; mutate: (o: ReturnType<typeof valid>) => void; path: string; message: RegExp }[] = [
      { name: 'a missing spec', mutate: (o) => delete (o as Record<string, unknown>)['spec'], path: 'spec', message: /Required/ },
      { name: 'no egress IP', mutate: (o) => (o.spec['egressIPs'] = []), path: 'spec.egressIPs', message: /at least 1/ },
      {
        name: 'more egress IPs than the core allows',
        mutate: (o) => (o.spec['egressIPs'] = Array.from({ length: MAX_EGRESS_IPS + 1 }, (_, i) => `192.0.2.${i + 1}`)),
        path: 'spec.egressIPs',
        message: new RegExp(`at most ${MAX_EGRESS_IPS}`),
      },
      {
        name: 'a duplicate egress IP',
        mutate: (o) => (o.spec['egressIPs'] = ['192.0.2.10', '192.0.2.10']),
        path: 'spec.egressIPs[1]',
        message: /Duplicate/,
      },
      {
        name: 'an egress IP longer than any IP text',
        mutate: (o) => (o.spec['egressIPs'] = ['1'.repeat(46)]),
        path: 'spec.egressIPs[0]',
        message: /may not be more than 45 bytes/,
      },
      { name: 'an unknown failurePolicy', mutate: (o) => (o.spec['failurePolicy'] = 'Drop'), path: 'spec.failurePolicy', message: /Unsupported value/ },
      { name: 'a priority beyond int32', mutate: (o) => (o.spec['priority'] = 2 ** 31), path: 'spec.priority', message: /less than or equal/ },
      { name: 'a fractional priority', mutate: (o) => (o.spec['priority'] = 1.5), path: 'spec.priority', message: /integer/ },
      {
        name: 'the KEP short form, which is not part of the stored API',
        mutate: (o) => (o.spec['selector'] = { matchLabels: { app: 'web' } }),
        path: 'spec.selector',
        message: /unknown field/,
      },
      {
        name: 'an unknown selector operator',
        mutate: (o) => (o.spec['podSelector'] = { matchExpressions: [{ key: 'app', operator: 'Equals', values: ['web'] }] }),
        path: 'spec.podSelector.matchExpressions[0].operator',
        message: /Unsupported value/,
      },
      {
        name: 'an invalid label value',
        mutate: (o) => (o.spec['podSelector'] = { matchLabels: { app: 'not valid!' } }),
        path: 'spec.podSelector.matchLabels.app',
        message: /should match/,
      },
      {
        name: 'a destination that is not a string',
        mutate: (o) => (o.spec['destinationCIDRs'] = [24]),
        path: 'spec.destinationCIDRs[0]',
        message: /type string/,
      },
      {
        name: 'a condition without lastTransitionTime',
        mutate: (o) => (o['status'] = { conditions: [condition] }),
        path: 'status.conditions[0].lastTransitionTime',
        message: /Required/,
      },
      {
        name: 'two conditions of one type',
        mutate: (o) => {
          const ready = { ...condition, lastTransitionTime: '2025-01-01T00:00:00Z' };
          o['status'] = { conditions: [ready, ready] };
        },
        path: 'status.conditions[1]',
        message: /Duplicate/,
      },
      {
        name: 'two assignments of one egress IP',
        mutate: (o) => (o['status'] = { assignments: [{ egressIP: '192.0.2.10', node: 'a' }, { egressIP: '192.0.2.10' }] }),
        path: 'status.assignments[1]',
        message: /Duplicate/,
      },
    ];

    it('accepts the valid base object and a full status', () => {
      const object = valid();
      object['status'] = {
        observedGeneration: 3,
        selectedPods: 12,
        assignments: [{ egressIP: '192.0.2.10', node: 'node-b' }, { egressIP: '192.0.2.11' }],
        conditions: [{ ...condition, lastTransitionTime: '2025-01-01T00:00:00Z', observedGeneration: 3 }],
      };
      expect(validateCustomObject(withDefaults(object, root) as Record<string, unknown>, root)).to.deep.equal([]);
    });

    for (const testCase of cases) {
      it(`rejects ${testCase.name}`, () => {
        const object = valid();
        testCase.mutate(object);
        const [problem, ...rest] = validateCustomObject(withDefaults(object, root) as Record<string, unknown>, root);
        expect(problem?.path).to.equal(testCase.path);
        expect(problem?.message).to.match(testCase.message);
        // After a type, required, enum or size error the server does not run the CEL rules, and says so.
        for (const other of rest) expect(other.message).to.match(/some validation rules were not checked/);
      });
    }
  });
});
