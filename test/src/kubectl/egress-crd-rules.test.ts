// Every rule of deploy/crd (CEL and OpenAPI) applied with the real kubectl against the in-memory API server:
// each has an object it refuses, with the 422 naming the field as kube-apiserver words it, and an object it
// stores (with the CRD's defaults filled in).
import { expect } from 'chai';
import { startApiServer, type RunningApiServer } from '@egress-proxier/testing';
import { REPO_ROOT } from '../deploy/repo-root.js';
import { KubectlCli } from './support/kubectl-cli.js';

type Spec = Record<string, unknown>;

interface Refused {
  name: string;
  spec: Spec;
  /** `field: message` lines kubectl prints from the 422's causes. */
  causes: string[];
}

interface Accepted {
  name: string;
  spec: Spec;
}

const pods = { podSelector: { matchLabels: { app: 'web' } } };
const ips = (n: number): string[] => Array.from({ length: n }, (_, i) => `192.0.2.${i + 1}`);
const NOT_CHECKED =
  '<nil>: Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation';
const CANONICAL_IP =
  'Invalid value: "string": must be an IPv4 or IPv6 address in canonical form (e.g. 192.0.2.10 or 2001:db8::10)';
const UNICAST =
  'Invalid value: "string": must be a unicast address (not unspecified, loopback, link-local, multicast or broadcast)';
const CANONICAL_CIDR =
  'Invalid value: "string": must be a CIDR in canonical form with the host bits zero (e.g. 203.0.113.0/24)';
const VALUES_RULE =
  'Invalid value: "object": values must be non-empty for In and NotIn, and empty for Exists and DoesNotExist';
const LABEL_VALUE = '^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$';

const REFUSED: Refused[] = [
  // x-kubernetes-validations on spec
  {
    name: 'no-selector',
    spec: { egressIPs: ['192.0.2.10'] },
    causes: ['spec: Required value: at least one of namespaceSelector and podSelector must be set'],
  },
  {
    name: 'destination-family',
    spec: { ...pods, egressIPs: ['192.0.2.10'], destinationCIDRs: ['2001:db8::/32'] },
    causes: [
      'spec: Invalid value: "object": every destinationCIDR must be of an IP family that one of the egressIPs has',
    ],
  },
  {
    name: 'excluded-family',
    spec: { ...pods, egressIPs: ['2001:db8::10'], excludedCIDRs: ['203.0.113.0/24'] },
    causes: [
      'spec: Invalid value: "object": every excludedCIDR must be of an IP family that one of the egressIPs has',
    ],
  },
  // x-kubernetes-validations on each selector's matchExpressions items
  {
    name: 'in-without-values',
    spec: { egressIPs: ['192.0.2.10'], podSelector: { matchExpressions: [{ key: 'app', operator: 'In' }] } },
    causes: [`spec.podSelector.matchExpressions[0]: ${VALUES_RULE}`],
  },
  {
    name: 'exists-with-values',
    spec: {
      egressIPs: ['192.0.2.10'],
      namespaceSelector: { matchExpressions: [{ key: 'team', operator: 'Exists', values: ['a'] }] },
    },
    causes: [`spec.namespaceSelector.matchExpressions[0]: ${VALUES_RULE}`],
  },
  {
    name: 'gateway-notin-empty',
    spec: {
      ...pods,
      egressIPs: ['192.0.2.10'],
      gatewayNodeSelector: { matchExpressions: [{ key: 'zone', operator: 'NotIn', values: [] }] },
    },
    causes: [`spec.gatewayNodeSelector.matchExpressions[0]: ${VALUES_RULE}`],
  },
  // x-kubernetes-validations on egressIPs items
  {
    name: 'ip-uppercase',
    spec: { ...pods, egressIPs: ['2001:DB8::10'] },
    causes: [`spec.egressIPs[0]: ${CANONICAL_IP}`],
  },
  {
    name: 'ip-leading-zero',
    spec: { ...pods, egressIPs: ['192.0.2.010'] },
    causes: [`spec.egressIPs[0]: ${CANONICAL_IP}`],
  },
  {
    name: 'ip-not-an-ip',
    spec: { ...pods, egressIPs: ['gateway-1'] },
    causes: [`spec.egressIPs[0]: ${CANONICAL_IP}`],
  },
  {
    name: 'ip-mapped',
    spec: { ...pods, egressIPs: ['::ffff:192.0.2.10'] },
    causes: [`spec.egressIPs[0]: ${CANONICAL_IP}`],
  },
  {
    name: 'ip-loopback',
    spec: { ...pods, egressIPs: ['127.0.0.1'] },
    causes: [`spec.egressIPs[0]: ${UNICAST}`],
  },
  { name: 'ip-unspecified', spec: { ...pods, egressIPs: ['::'] }, causes: [`spec.egressIPs[0]: ${UNICAST}`] },
  {
    name: 'ip-link-local',
    spec: { ...pods, egressIPs: ['fe80::1'] },
    causes: [`spec.egressIPs[0]: ${UNICAST}`],
  },
  {
    name: 'ip-multicast',
    spec: { ...pods, egressIPs: ['224.0.0.1'] },
    causes: [`spec.egressIPs[0]: ${UNICAST}`],
  },
  {
    name: 'ip-broadcast',
    spec: { ...pods, egressIPs: ['255.255.255.255'] },
    causes: [`spec.egressIPs[0]: ${UNICAST}`],
  },
  // x-kubernetes-validations on destinationCIDRs and excludedCIDRs items
  {
    name: 'destination-host-bits',
    spec: { ...pods, egressIPs: ['192.0.2.10'], destinationCIDRs: ['203.0.113.1/24'] },
    causes: [`spec.destinationCIDRs[0]: ${CANONICAL_CIDR}`],
  },
  {
    name: 'destination-not-canonical',
    spec: { ...pods, egressIPs: ['2001:db8::10'], destinationCIDRs: ['2001:DB8::/32'] },
    causes: [`spec.destinationCIDRs[0]: ${CANONICAL_CIDR}`],
  },
  {
    name: 'excluded-not-a-cidr',
    spec: { ...pods, egressIPs: ['192.0.2.10'], excludedCIDRs: ['203.0.113.0'] },
    causes: [`spec.excludedCIDRs[0]: ${CANONICAL_CIDR}`],
  },
  // The OpenAPI part: bounds, enums, patterns, required fields, list types, types
  {
    name: 'seventeen-ips',
    spec: { ...pods, egressIPs: ips(17) },
    causes: ['spec.egressIPs: Too many: 17: must have at most 16 items', NOT_CHECKED],
  },
  {
    name: 'no-ip',
    spec: { ...pods, egressIPs: [] },
    causes: ['spec.egressIPs: Invalid value: 0: spec.egressIPs in body should have at least 1 items'],
  },
  { name: 'ips-missing', spec: { ...pods }, causes: ['spec.egressIPs: Required value', NOT_CHECKED] },
  {
    name: 'duplicate-ip',
    spec: { ...pods, egressIPs: ['192.0.2.10', '192.0.2.10'] },
    causes: ['spec.egressIPs[1]: Duplicate value: "192.0.2.10"'],
  },
  {
    name: 'operator-equals',
    spec: {
      egressIPs: ['192.0.2.10'],
      podSelector: { matchExpressions: [{ key: 'app', operator: 'Equals', values: ['web'] }] },
    },
    causes: [
      'spec.podSelector.matchExpressions[0].operator: Unsupported value: "Equals": supported values: "In", "NotIn", "Exists", "DoesNotExist"',
      NOT_CHECKED,
    ],
  },
  {
    name: 'label-value-300',
    spec: { egressIPs: ['192.0.2.10'], podSelector: { matchLabels: { app: 'a'.repeat(300) } } },
    causes: ['spec.podSelector.matchLabels.app: Too long: may not be more than 63 bytes', NOT_CHECKED],
  },
  {
    name: 'label-value-pattern',
    spec: { egressIPs: ['192.0.2.10'], namespaceSelector: { matchLabels: { team: 'not valid!' } } },
    causes: [
      `spec.namespaceSelector.matchLabels.team: Invalid value: "not valid!": spec.namespaceSelector.matchLabels.team in body should match '${LABEL_VALUE}'`,
    ],
  },
  {
    name: 'too-many-labels',
    spec: {
      egressIPs: ['192.0.2.10'],
      podSelector: { matchLabels: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, 'v'])) },
    },
    causes: ['spec.podSelector.matchLabels: Too many: 65: must have at most 64 items', NOT_CHECKED],
  },
  {
    name: 'failure-policy-drop',
    spec: { ...pods, egressIPs: ['192.0.2.10'], failurePolicy: 'Drop' },
    causes: [
      'spec.failurePolicy: Unsupported value: "Drop": supported values: "FailClosed", "FailOpen"',
      NOT_CHECKED,
    ],
  },
  {
    name: 'priority-beyond-int32',
    spec: { ...pods, egressIPs: ['192.0.2.10'], priority: 2 ** 31 },
    causes: [
      'spec.priority: Invalid value: 2147483648: spec.priority in body should be less than or equal to 2147483647',
    ],
  },
  {
    name: 'priority-string',
    spec: { ...pods, egressIPs: ['192.0.2.10'], priority: 'high' },
    causes: [
      'spec.priority: Invalid value: "string": spec.priority in body must be of type integer: "string"',
      NOT_CHECKED,
    ],
  },
  {
    name: 'ip-too-long',
    spec: { ...pods, egressIPs: ['1'.repeat(46)] },
    causes: ['spec.egressIPs[0]: Too long: may not be more than 45 bytes', NOT_CHECKED],
  },
];

const ACCEPTED: Accepted[] = [
  { name: 'namespace-selector-only', spec: { namespaceSelector: {}, egressIPs: ['192.0.2.10'] } },
  { name: 'pod-selector-only', spec: { ...pods, egressIPs: ['10.0.0.1'] } },
  {
    name: 'dual-stack-destinations',
    spec: {
      ...pods,
      egressIPs: ['192.0.2.10', '2001:db8::10'],
      destinationCIDRs: ['203.0.113.0/24', '2001:db8:1::/48'],
      excludedCIDRs: ['203.0.113.128/25', '2001:db8:1:1::/64'],
    },
  },
  {
    name: 'expressions',
    spec: {
      egressIPs: ['198.51.100.7'],
      namespaceSelector: { matchExpressions: [{ key: 'team', operator: 'In', values: ['pay'] }] },
      podSelector: { matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }] },
      gatewayNodeSelector: { matchExpressions: [{ key: 'zone', operator: 'Exists' }] },
    },
  },
  {
    name: 'sixteen-ips',
    spec: { ...pods, egressIPs: ips(16), priority: -2147483648, failurePolicy: 'FailOpen' },
  },
];

function egress(name: string, spec: Spec): string {
  return JSON.stringify({
    apiVersion: 'egress.proxier.io/v1alpha1',
    kind: 'Egress',
    metadata: { name },
    spec,
  });
}

describe('the Egress CRD rules, applied with kubectl to the in-memory API server', function () {
  this.timeout(60_000);
  let server: RunningApiServer;
  let kubectl: KubectlCli;

  before(async () => {
    server = await startApiServer({ https: true });
    kubectl = await KubectlCli.for(server, REPO_ROOT);
    await kubectl.ok(['apply', '-f', 'deploy/crd/egress.proxier.io_egresses.yaml']);
    await kubectl.ok([
      'wait',
      '--for=condition=Established',
      'crd/egresses.egress.proxier.io',
      '--timeout=5s',
    ]);
  });

  after(async () => {
    await server?.close();
    await kubectl?.cleanup();
  });

  for (const testCase of REFUSED) {
    it(`refuses ${testCase.name} with 422 naming ${testCase.causes[0]?.split(':')[0]}`, async () => {
      const result = await kubectl.run(['apply', '-f', '-'], egress(testCase.name, testCase.spec));
      expect(result.code, result.stdout).to.equal(1);
      // kubectl prints one cause after the summary, several as a bulleted list.
      const expected =
        testCase.causes.length === 1
          ? `The Egress "${testCase.name}" is invalid: ${testCase.causes[0]}\n`
          : `The Egress "${testCase.name}" is invalid: \n${testCase.causes.map((c) => `* ${c}\n`).join('')}`;
      expect(result.stderr).to.equal(expected);
      const missing = await kubectl.run(['get', 'egress', testCase.name]);
      expect(missing.stderr).to.contain('NotFound');
    });
  }

  for (const testCase of ACCEPTED) {
    it(`stores ${testCase.name} with the defaults filled in`, async () => {
      expect(await kubectl.ok(['apply', '-f', '-'], egress(testCase.name, testCase.spec))).to.equal(
        `egress.egress.proxier.io/${testCase.name} created\n`,
      );
      const stored = JSON.parse(await kubectl.ok(['get', 'egress', testCase.name, '-o', 'json'])) as {
        spec: Spec;
      };
      expect(stored.spec).to.deep.equal({
        gatewayNodeSelector: { matchLabels: { 'egress.proxier.io/gateway': 'true' } },
        priority: 0,
        failurePolicy: 'FailClosed',
        ...testCase.spec,
      });
    });
  }

  describe('unknown fields, as kubectl --validate decides', () => {
    const withUnknown = (name: string): string =>
      egress(name, { ...pods, egressIPs: ['192.0.2.10'], selector: { matchLabels: { app: 'web' } } });

    it('refuses them by default (Strict) with 400 naming the field', async () => {
      const result = await kubectl.run(['apply', '-f', '-'], withUnknown('strict'));
      expect(result.code).to.equal(1);
      expect(result.stderr).to.equal(
        'Error from server (BadRequest): error when creating "STDIN": Egress in version "v1alpha1" cannot be handled as a Egress: strict decoding error: unknown field "spec.selector"\n',
      );
    });

    it('prunes them with a warning under --validate=warn', async () => {
      const result = await kubectl.run(['apply', '--validate=warn', '-f', '-'], withUnknown('warned'));
      expect(result.code, result.stderr).to.equal(0);
      expect(result.stderr).to.equal('Warning: unknown field "spec.selector"\n');
      const stored = JSON.parse(await kubectl.ok(['get', 'egress', 'warned', '-o', 'json'])) as {
        spec: Spec;
      };
      expect(stored.spec).not.to.have.property('selector');
    });

    it('prunes them silently under --validate=false', async () => {
      const result = await kubectl.run(['apply', '--validate=false', '-f', '-'], withUnknown('ignored'));
      expect(result.code, result.stderr).to.equal(0);
      expect(result.stderr).to.equal('');
      const stored = JSON.parse(await kubectl.ok(['get', 'egress', 'ignored', '-o', 'json'])) as {
        spec: Spec;
      };
      expect(stored.spec).not.to.have.property('selector');
    });
  });

  describe('updates and the status subresource', () => {
    before(async () => {
      await kubectl.ok(['apply', '-f', '-'], egress('updated', { ...pods, egressIPs: ['192.0.2.10'] }));
    });

    it('refuses a patch that breaks a rule, and keeps the stored object', async () => {
      const result = await kubectl.run([
        'patch',
        'egress',
        'updated',
        '--type=merge',
        '-p',
        '{"spec":{"egressIPs":["127.0.0.1"]}}',
      ]);
      expect(result.code).to.equal(1);
      expect(result.stderr).to.contain(`The Egress "updated" is invalid: spec.egressIPs[0]: ${UNICAST}`);
      expect(await kubectl.ok(['get', 'egress', 'updated', '-o', 'jsonpath={.spec.egressIPs}'])).to.equal(
        '["192.0.2.10"]',
      );
    });

    it('refuses a status whose conditions repeat a type', async () => {
      const condition = {
        type: 'Ready',
        status: 'True',
        reason: 'Programmed',
        message: '',
        lastTransitionTime: '2025-01-01T00:00:00Z',
      };
      const result = await kubectl.run([
        'patch',
        'egress',
        'updated',
        '--subresource=status',
        '--type=merge',
        '-p',
        JSON.stringify({ status: { conditions: [condition, condition] } }),
      ]);
      expect(result.code).to.equal(1);
      expect(result.stderr).to.contain(
        'The Egress "updated" is invalid: status.conditions[1]: Duplicate value: {"type":"Ready"}',
      );
    });

    it('stores a valid status', async () => {
      await kubectl.ok([
        'patch',
        'egress',
        'updated',
        '--subresource=status',
        '--type=merge',
        '-p',
        JSON.stringify({
          status: { observedGeneration: 1, assignments: [{ egressIP: '192.0.2.10', node: 'node-b' }] },
        }),
      ]);
      expect(
        await kubectl.ok(['get', 'egress', 'updated', '-o', 'jsonpath={.status.assignments[0].node}']),
      ).to.equal('node-b');
    });
  });
});
