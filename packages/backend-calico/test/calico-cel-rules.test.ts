// Calico's own CEL rules (x-kubernetes-validations) evaluated for real by the in-memory API server's engine:
// every IPPool rule of every release in shared/testdata/calico-crds and every GlobalNetworkPolicy rule has
// an object it refuses and one it accepts, and the immutable cidr/blockSize transition rules hold on update.
import { expect } from 'chai';
import { StatusError, validateCustomObject, type StructuralSchema } from '@egress-proxier/testing';
import { CALICO_VERSIONS, ipPoolSchema, loadCalicoCrds } from './support/calico-crds.js';
import { startFakeCluster } from './support/fake-cluster.js';
import { globalNetworkPolicySchema } from './support/policy-crds.js';

type Spec = Record<string, unknown>;

interface RuleCase {
  /** The rule's message, which names it in the CRD. */
  message: string;
  refused: Spec;
  accepted: Spec;
}

const POOL: Spec = {
  cidr: '192.0.2.0/24',
  blockSize: 26,
  ipipMode: 'Never',
  vxlanMode: 'Never',
  natOutgoing: false,
};
const V6: Spec = { cidr: '2001:db8::/120', blockSize: 122 };

const POOL_RULES: RuleCase[] = [
  {
    message: 'ipipMode and vxlanMode cannot both be enabled',
    refused: { ipipMode: 'Always', vxlanMode: 'Always' },
    accepted: { ipipMode: 'Always', vxlanMode: 'Never' },
  },
  {
    message: 'LoadBalancer IP pool cannot have IPIP or VXLAN enabled',
    refused: { allowedUses: ['LoadBalancer'], vxlanMode: 'Always' },
    accepted: { allowedUses: ['LoadBalancer'] },
  },
  {
    message: 'LoadBalancer cannot be combined with Workload or Tunnel allowed uses',
    refused: { allowedUses: ['LoadBalancer', 'Workload'] },
    accepted: { allowedUses: ['Tunnel', 'Workload'] },
  },
  {
    message: 'IPIP is not supported on IPv6 pools',
    refused: { ...V6, ipipMode: 'Always' },
    accepted: { ...V6, vxlanMode: 'Always' },
  },
  {
    message: 'LoadBalancer IP pools cannot disable BGP export',
    refused: { allowedUses: ['LoadBalancer'], disableBGPExport: true },
    accepted: { allowedUses: ['LoadBalancer'], disableBGPExport: false },
  },
  {
    message: 'IP Pool with AllowedUse LoadBalancer must have nodeSelector set to all()',
    refused: { allowedUses: ['LoadBalancer'], nodeSelector: 'zone == "a"' },
    accepted: { allowedUses: ['LoadBalancer'], nodeSelector: 'all()' },
  },
  {
    message: 'IP Pool with AllowedUse Tunnel cannot have namespaceSelector',
    refused: { allowedUses: ['Tunnel'], namespaceSelector: 'team == "a"' },
    accepted: { allowedUses: ['Tunnel'] },
  },
  {
    message: 'global() selector is not valid for IPPool nodeSelector',
    refused: { nodeSelector: 'global()' },
    accepted: { nodeSelector: 'zone == "a"' },
  },
  {
    message: 'global() selector is not valid for IPPool namespaceSelector',
    refused: { namespaceSelector: 'global()' },
    accepted: { namespaceSelector: 'team == "a"' },
  },
  {
    message: 'IPPool CIDR must be strictly masked',
    refused: { cidr: '192.0.2.1/24' },
    accepted: { cidr: '198.51.100.0/24' },
  },
  {
    message: 'IPPool CIDR overlaps with IPv4 link local range 169.254.0.0/16',
    refused: { cidr: '169.0.0.0/8' },
    accepted: { cidr: '169.253.0.0/16' },
  },
  {
    message: 'IPPool CIDR overlaps with IPv6 link local range fe80::/10',
    refused: { cidr: 'fe80::/120', blockSize: 122 },
    accepted: { cidr: 'fd00::/120', blockSize: 122 },
  },
  {
    message: 'blockSize must be between 20 and 32 for IPv4 pools, and between 116 and 128 for IPv6 pools',
    refused: { cidr: '10.0.0.0/16', blockSize: 19 },
    accepted: { cidr: '10.0.0.0/16', blockSize: 20 },
  },
  {
    message:
      'IP pool size is too small for use with Calico IPAM. It must be equal to or greater than the block size.',
    refused: { cidr: '192.0.2.0/28', blockSize: 26 },
    accepted: { cidr: '192.0.2.0/28', blockSize: 26, disabled: true },
  },
];

const POLICY: Spec = { selector: 'all()', types: ['Ingress'], ingress: [{ action: 'Allow' }] };

const POLICY_RULES: RuleCase[] = [
  {
    message: 'preDNAT and doNotTrack cannot both be true',
    refused: { preDNAT: true, doNotTrack: true, applyOnForward: true },
    accepted: { doNotTrack: true, applyOnForward: true },
  },
  {
    message: 'preDNAT policy cannot have any egress rules',
    refused: { preDNAT: true, applyOnForward: true, egress: [{ action: 'Allow' }] },
    accepted: { preDNAT: true, applyOnForward: true },
  },
  {
    message: "preDNAT policy cannot have 'Egress' type",
    refused: { preDNAT: true, applyOnForward: true, types: ['Egress'] },
    accepted: { preDNAT: true, applyOnForward: true, types: ['Ingress'] },
  },
  {
    message: 'applyOnForward must be true if either preDNAT or doNotTrack is true',
    refused: { doNotTrack: true },
    accepted: { doNotTrack: true, applyOnForward: true },
  },
];

/** Rules on each ingress and egress rule (and its icmp/notICMP), keyed by where they sit. */
function ruleLevelCases(direction: 'ingress' | 'egress'): (RuleCase & { path: string })[] {
  const rules = (rule: Spec): Spec => ({
    types: direction === 'ingress' ? ['Ingress'] : ['Egress'],
    [direction]: [rule],
  });
  const at = `spec.${direction}[0]`;
  return [
    {
      path: at,
      message: 'rules with HTTP match must have protocol TCP or unset',
      refused: rules({ action: 'Allow', protocol: 'UDP', http: { methods: ['GET'] } }),
      accepted: rules({ action: 'Allow', protocol: 'TCP', http: { methods: ['GET'] } }),
    },
    {
      path: at,
      message: 'HTTP match is only valid on Allow rules',
      refused: rules({ action: 'Deny', http: { methods: ['GET'] } }),
      accepted: rules({ action: 'Allow', http: { methods: ['GET'] } }),
    },
    {
      path: at,
      message: 'ports and notPorts cannot be specified with services',
      refused: rules({
        action: 'Allow',
        destination: { services: { name: 'db', namespace: 'shop' }, ports: [5432] },
      }),
      accepted: rules({ action: 'Allow', destination: { services: { name: 'db', namespace: 'shop' } } }),
    },
    {
      path: `${at}.icmp`,
      message: 'ICMP code specified without an ICMP type',
      refused: rules({ action: 'Allow', protocol: 'ICMP', icmp: { code: 1 } }),
      accepted: rules({ action: 'Allow', protocol: 'ICMP', icmp: { type: 3, code: 1 } }),
    },
    {
      path: `${at}.notICMP`,
      message: 'ICMP code specified without an ICMP type',
      refused: rules({ action: 'Allow', protocol: 'ICMP', notICMP: { code: 1 } }),
      accepted: rules({ action: 'Allow', protocol: 'ICMP', notICMP: { type: 8 } }),
    },
  ];
}

/** Every x-kubernetes-validations rule in a schema, with the path of the node it sits on. */
function rulesOf(schema: StructuralSchema, path = ''): { path: string; message: string; reason?: string }[] {
  const here = (schema['x-kubernetes-validations'] ?? []).map((r) => ({
    path,
    message: r.message ?? r.rule,
    ...(r.reason ? { reason: r.reason } : {}),
  }));
  const below = Object.entries(schema.properties ?? {}).flatMap(([name, child]) =>
    rulesOf(child, path === '' ? name : `${path}.${name}`),
  );
  const items = schema.items ? rulesOf(schema.items, `${path}[0]`) : [];
  return [...here, ...below, ...items];
}

/** The cause kube-apiserver gives for a failed rule with this reason. */
function causeOf(reason: string | undefined, message: string, type = 'object'): string {
  if (reason === 'FieldValueForbidden') return `Forbidden: ${message}`;
  if (reason === 'FieldValueRequired') return `Required value: ${message}`;
  return `Invalid value: "${type}": ${message}`;
}

function object(apiVersion: string, kind: string, spec: Spec): Record<string, unknown> {
  return { apiVersion, kind, metadata: { name: 'case' }, spec };
}

for (const version of CALICO_VERSIONS) {
  const crds = loadCalicoCrds(version);
  for (const group of ['crd.projectcalico.org', 'projectcalico.org']) {
    const schema = ipPoolSchema(crds, group);
    if (schema === undefined) continue;
    const apiVersion = group === 'projectcalico.org' ? 'projectcalico.org/v3' : 'crd.projectcalico.org/v1';
    const specRules = rulesOf(schema).filter((r) => r.path === 'spec');

    describe(`Calico ${version} ippools.${group}: the CEL rules, evaluated`, () => {
      it('accepts the base pool', () => {
        expect(validateCustomObject(object(apiVersion, 'IPPool', POOL), schema)).to.deep.equal([]);
      });

      it('has a case for every rule on spec', () => {
        const covered = new Set(POOL_RULES.map((c) => c.message));
        expect(specRules.map((r) => r.message).filter((m) => !covered.has(m))).to.deep.equal([]);
      });

      for (const rule of specRules) {
        const testCase = POOL_RULES.find((c) => c.message === rule.message);
        if (testCase === undefined) continue;
        it(`refuses and accepts by "${rule.message}"`, () => {
          expect(
            validateCustomObject(object(apiVersion, 'IPPool', { ...POOL, ...testCase.refused }), schema),
          ).to.deep.equal([{ path: 'spec', message: causeOf(rule.reason, rule.message) }]);
          expect(
            validateCustomObject(object(apiVersion, 'IPPool', { ...POOL, ...testCase.accepted }), schema),
          ).to.deep.equal([]);
        });
      }

      // In the order of the object's fields (cidr before blockSize), as the rules are walked.
      const immutable = ['spec.cidr', 'spec.blockSize'].flatMap((path) =>
        rulesOf(schema).filter((r) => r.path === path),
      );
      if (immutable.length === 0) return;
      it('keeps cidr and blockSize immutable on update (transition rules), not on create', async () => {
        const cluster = await startFakeCluster(crds);
        try {
          const pool = object(apiVersion, 'IPPool', POOL) as never;
          cluster.api.store.put(pool);
          cluster.api.store.put(object(apiVersion, 'IPPool', { ...POOL, natOutgoing: true }) as never);
          let refused: unknown;
          try {
            cluster.api.store.put(
              object(apiVersion, 'IPPool', { ...POOL, cidr: '198.51.100.0/24', blockSize: 28 }) as never,
            );
          } catch (e) {
            refused = e;
          }
          expect(refused).to.be.instanceOf(StatusError);
          expect((refused as StatusError).code).to.equal(422);
          expect((refused as StatusError).message).to.equal(
            `IPPool.${group} "case" is invalid: [${immutable
              .map(
                (r) =>
                  `${r.path}: ${causeOf(r.reason, r.message, r.path === 'spec.cidr' ? 'string' : 'integer')}`,
              )
              .join(', ')}]`,
          );
        } finally {
          await cluster.close();
        }
      });
    });
  }
}

describe('Calico GlobalNetworkPolicy (master-policy): the CEL rules, evaluated', () => {
  const schema = globalNetworkPolicySchema();
  const gnp = (spec: Spec): Record<string, unknown> =>
    object('projectcalico.org/v3', 'GlobalNetworkPolicy', spec);
  const all = [
    ...POLICY_RULES.map((c) => ({ ...c, path: 'spec' })),
    ...ruleLevelCases('ingress'),
    ...ruleLevelCases('egress'),
  ];

  it('has a case for every rule in the CRD', () => {
    const covered = new Set(all.map((c) => `${c.path} ${c.message}`));
    const rules = rulesOf(schema).map((r) => `${r.path} ${r.message}`);
    expect(rules.filter((r) => !covered.has(r))).to.deep.equal([]);
  });

  for (const testCase of all) {
    const rule = rulesOf(schema).find((r) => r.path === testCase.path && r.message === testCase.message);
    it(`refuses and accepts by "${testCase.message}" at ${testCase.path}`, () => {
      expect(rule, 'the rule is in the CRD').not.to.equal(undefined);
      expect(validateCustomObject(gnp({ ...POLICY, ...testCase.refused }), schema)).to.deep.equal([
        { path: testCase.path, message: causeOf(rule?.reason, testCase.message) },
      ]);
      expect(validateCustomObject(gnp({ ...POLICY, ...testCase.accepted }), schema)).to.deep.equal([]);
    });
  }
});
