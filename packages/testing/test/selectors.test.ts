import { expect } from 'chai';
import { checkSupportedFields, matchesFields, parseFieldSelector } from '../src/selectors/field-selector.js';
import { matchesLabels, parseLabelSelector } from '../src/selectors/label-selector.js';

const labels = { app: 'db', tier: 'backend', n: '5' };

const labelCases: Array<[string, boolean]> = [
  ['', true],
  ['app=db', true],
  ['app==db', true],
  ['app!=db', false],
  ['app!=web', true],
  ['missing!=x', true],
  ['app in (web, db)', true],
  ['app notin (web,db)', false],
  ['missing notin (x)', true],
  ['tier', true],
  ['!tier', false],
  ['!missing', true],
  ['app=db,tier in (backend),!missing', true],
  ['app=db,tier=frontend', false],
  ['n>4', true],
  ['n<5', false],
];

describe('label selector strings', () => {
  for (const [selector, expected] of labelCases) {
    it(`"${selector}" → ${expected}`, () => {
      expect(matchesLabels(parseLabelSelector(selector), labels)).to.equal(expected);
    });
  }

  for (const bad of ['app=db,', 'app in (a', '=x', 'app=in valid']) {
    it(`rejects "${bad}" with 400`, () => {
      expect(() => parseLabelSelector(bad))
        .to.throw()
        .with.property('code', 400);
    });
  }
});

describe('field selector strings', () => {
  const object = { metadata: { name: 'p', namespace: 'default' }, spec: { nodeName: 'node-a' } };
  const cases: Array<[string, boolean]> = [
    ['metadata.name=p', true],
    ['metadata.name==p', true],
    ['metadata.name!=p', false],
    ['spec.nodeName=node-a,metadata.namespace=default', true],
    ['spec.nodeName=', false],
    ['spec.nodeName!=', true],
  ];
  for (const [selector, expected] of cases) {
    it(`"${selector}" → ${expected}`, () => {
      expect(matchesFields(parseFieldSelector(selector), object)).to.equal(expected);
    });
  }
});

describe('field selectors on core/v1 events', () => {
  // An event about a cluster-scoped Egress, as the agent writes it: no involvedObject.namespace.
  const event = {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: 'payments.18f0', namespace: 'default' },
    involvedObject: {
      apiVersion: 'egress.proxier.io/v1alpha1',
      kind: 'Egress',
      name: 'payments',
      uid: 'u-1',
      resourceVersion: '7',
    },
    reason: 'GatewayMoved',
    type: 'Normal',
    source: { component: 'egress-proxier' },
    reportingComponent: 'egress-proxier.io/agent',
  };
  const cases: Array<[string, boolean]> = [
    // What `kubectl describe egress payments` sends (client-go's GetFieldSelector), namespace empty.
    [
      'involvedObject.kind=Egress,involvedObject.name=payments,involvedObject.namespace=,involvedObject.uid=u-1',
      true,
    ],
    [
      'involvedObject.kind=Egress,involvedObject.name=payments,involvedObject.namespace=,involvedObject.uid=u-2',
      false,
    ],
    ['involvedObject.apiVersion=egress.proxier.io/v1alpha1,involvedObject.resourceVersion=7', true],
    ['involvedObject.fieldPath=', true],
    ['reportingComponent=egress-proxier.io/agent,type=Normal,reason=GatewayMoved', true],
    // `source` is source.component, else reportingComponent.
    ['source=egress-proxier', true],
    ['source=egress-proxier.io/agent', false],
  ];
  for (const [selector, expected] of cases) {
    it(`"${selector}" → ${expected}`, () => {
      const requirements = parseFieldSelector(selector);
      expect(() => checkSupportedFields(requirements, 'Event')).not.to.throw();
      expect(matchesFields(requirements, event)).to.equal(expected);
    });
  }

  it('takes reportingComponent as the source of an event without source.component', () => {
    const { source: _dropped, ...withoutSource } = event;
    expect(matchesFields(parseFieldSelector('source=egress-proxier.io/agent'), withoutSource)).to.equal(true);
  });

  it('refuses a field the real server cannot select events on, with its 400', () => {
    expect(() => checkSupportedFields(parseFieldSelector('message=x'), 'Event'))
      .to.throw('field label not supported: message')
      .with.property('code', 400);
  });
});
