import { expect } from 'chai';
import { matchesFields, parseFieldSelector } from '../src/selectors/field-selector.js';
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
