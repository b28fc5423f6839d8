// Table-driven cases for metav1.LabelSelector semantics and apimachinery validation.
import { expect } from 'chai';
import { compileLabelSelector, validateLabelSelector } from '../src/selectors/label-selector.js';
import type { LabelSelector } from '../src/selectors/label-selector-types.js';

interface MatchCase {
  name: string;
  selector: LabelSelector;
  labels: Record<string, string>;
  matches: boolean;
}

const matchCases: MatchCase[] = [
  { name: 'empty selector matches everything', selector: {}, labels: {}, matches: true },
  { name: 'empty selector matches labelled objects', selector: {}, labels: { a: 'b' }, matches: true },
  {
    name: 'matchLabels equal',
    selector: { matchLabels: { app: 'web' } },
    labels: { app: 'web', x: 'y' },
    matches: true,
  },
  {
    name: 'matchLabels different value',
    selector: { matchLabels: { app: 'web' } },
    labels: { app: 'db' },
    matches: false,
  },
  { name: 'matchLabels missing key', selector: { matchLabels: { app: 'web' } }, labels: {}, matches: false },
  {
    name: 'matchLabels empty value matches empty label',
    selector: { matchLabels: { app: '' } },
    labels: { app: '' },
    matches: true,
  },
  {
    name: 'matchLabels empty value does not match missing key',
    selector: { matchLabels: { app: '' } },
    labels: {},
    matches: false,
  },
  {
    name: 'matchLabels are ANDed',
    selector: { matchLabels: { a: '1', b: '2' } },
    labels: { a: '1' },
    matches: false,
  },
  {
    name: 'In with value present',
    selector: { matchExpressions: [{ key: 't', operator: 'In', values: ['a', 'b'] }] },
    labels: { t: 'b' },
    matches: true,
  },
  {
    name: 'In with other value',
    selector: { matchExpressions: [{ key: 't', operator: 'In', values: ['a'] }] },
    labels: { t: 'c' },
    matches: false,
  },
  {
    name: 'In with missing key',
    selector: { matchExpressions: [{ key: 't', operator: 'In', values: ['a'] }] },
    labels: {},
    matches: false,
  },
  {
    name: 'NotIn with missing key matches',
    selector: { matchExpressions: [{ key: 't', operator: 'NotIn', values: ['a'] }] },
    labels: {},
    matches: true,
  },
  {
    name: 'NotIn with listed value',
    selector: { matchExpressions: [{ key: 't', operator: 'NotIn', values: ['a'] }] },
    labels: { t: 'a' },
    matches: false,
  },
  {
    name: 'NotIn with other value',
    selector: { matchExpressions: [{ key: 't', operator: 'NotIn', values: ['a'] }] },
    labels: { t: 'b' },
    matches: true,
  },
  {
    name: 'Exists with empty value',
    selector: { matchExpressions: [{ key: 't', operator: 'Exists' }] },
    labels: { t: '' },
    matches: true,
  },
  {
    name: 'Exists with missing key',
    selector: { matchExpressions: [{ key: 't', operator: 'Exists' }] },
    labels: {},
    matches: false,
  },
  {
    name: 'DoesNotExist with missing key',
    selector: { matchExpressions: [{ key: 't', operator: 'DoesNotExist' }] },
    labels: { u: '1' },
    matches: true,
  },
  {
    name: 'DoesNotExist with key present',
    selector: { matchExpressions: [{ key: 't', operator: 'DoesNotExist' }] },
    labels: { t: '' },
    matches: false,
  },
  {
    name: 'matchLabels AND matchExpressions',
    selector: {
      matchLabels: { app: 'web' },
      matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['dev'] }],
    },
    labels: { app: 'web', env: 'dev' },
    matches: false,
  },
  {
    name: 'contradictory requirements match nothing',
    selector: {
      matchExpressions: [
        { key: 't', operator: 'Exists' },
        { key: 't', operator: 'DoesNotExist' },
      ],
    },
    labels: { t: 'x' },
    matches: false,
  },
  {
    name: 'label named like an Object.prototype property is not inherited',
    selector: { matchExpressions: [{ key: 'constructor', operator: 'Exists' }] },
    labels: {},
    matches: false,
  },
];

interface ValidationCase {
  name: string;
  selector: unknown;
  problems: string[];
}

const validationCases: ValidationCase[] = [
  { name: 'empty selector is valid', selector: {}, problems: [] },
  {
    name: 'prefixed key is valid',
    selector: { matchLabels: { 'example.com/app': 'a.b-c_d' } },
    problems: [],
  },
  { name: 'empty label value is valid', selector: { matchLabels: { app: '' } }, problems: [] },
  { name: 'not an object', selector: 'app=web', problems: ['sel: must be an object'] },
  { name: 'unknown field', selector: { matchLabel: {} }, problems: ['sel.matchLabel: unknown field'] },
  {
    name: 'key too long',
    selector: { matchLabels: { ['a'.repeat(64)]: 'x' } },
    problems: [`sel.matchLabels: key "${'a'.repeat(64)}": name part must be no more than 63 characters`],
  },
  {
    name: 'key of 63 characters is valid',
    selector: { matchLabels: { ['a'.repeat(63)]: 'x' } },
    problems: [],
  },
  {
    name: 'uppercase prefix',
    selector: { matchLabels: { 'Example.com/app': 'x' } },
    problems: [
      'sel.matchLabels: key "Example.com/app": prefix part must be a lowercase RFC 1123 subdomain (e.g. example.com)',
    ],
  },
  {
    name: 'empty prefix',
    selector: { matchLabels: { '/app': 'x' } },
    problems: ['sel.matchLabels: key "/app": prefix part must be non-empty'],
  },
  {
    name: 'two slashes',
    selector: { matchLabels: { 'a/b/c': 'x' } },
    problems: [
      `sel.matchLabels: key "a/b/c": a qualified name must consist of an optional DNS subdomain prefix and a name, separated by '/'`,
    ],
  },
  {
    name: 'key starting with dash',
    selector: { matchLabels: { '-app': 'x' } },
    problems: [
      `sel.matchLabels: key "-app": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`,
    ],
  },
  {
    name: 'value ending with dot',
    selector: { matchLabels: { app: 'web.' } },
    problems: [
      `sel.matchLabels[app]: a valid label value must be empty or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`,
    ],
  },
  {
    name: 'value too long',
    selector: { matchLabels: { app: 'v'.repeat(64) } },
    problems: ['sel.matchLabels[app]: must be no more than 63 characters'],
  },
  {
    name: 'value not a string',
    selector: { matchLabels: { app: 3 } },
    problems: ['sel.matchLabels[app]: must be a string'],
  },
  {
    name: 'In without values',
    selector: { matchExpressions: [{ key: 'a', operator: 'In' }] },
    problems: ["sel.matchExpressions[0].values: must be specified when `operator` is 'In' or 'NotIn'"],
  },
  {
    name: 'NotIn with empty values',
    selector: { matchExpressions: [{ key: 'a', operator: 'NotIn', values: [] }] },
    problems: ["sel.matchExpressions[0].values: must be specified when `operator` is 'In' or 'NotIn'"],
  },
  {
    name: 'Exists with values',
    selector: { matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] },
    problems: [
      "sel.matchExpressions[0].values: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
    ],
  },
  {
    name: 'DoesNotExist with empty values list is valid',
    selector: { matchExpressions: [{ key: 'a', operator: 'DoesNotExist', values: [] }] },
    problems: [],
  },
  {
    name: 'operator is case-sensitive',
    selector: { matchExpressions: [{ key: 'a', operator: 'in', values: ['x'] }] },
    problems: [
      'sel.matchExpressions[0].operator: "in" is not a valid label selector operator (In, NotIn, Exists, DoesNotExist)',
    ],
  },
  {
    name: 'missing key',
    selector: { matchExpressions: [{ operator: 'Exists' }] },
    problems: ['sel.matchExpressions[0].key: required'],
  },
  {
    name: 'invalid value inside In',
    selector: { matchExpressions: [{ key: 'a', operator: 'In', values: ['ok', 'not ok'] }] },
    problems: [
      `sel.matchExpressions[0].values[1]: a valid label value must be empty or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`,
    ],
  },
  {
    name: 'expressions not a list',
    selector: { matchExpressions: { key: 'a' } },
    problems: ['sel.matchExpressions: must be a list'],
  },
  {
    name: 'every problem is reported',
    selector: { matchLabels: { 'bad key!': 'x' }, matchExpressions: [{ key: 'a', operator: 'Bogus' }] },
    problems: [
      `sel.matchLabels: key "bad key!": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`,
      'sel.matchExpressions[0].operator: "Bogus" is not a valid label selector operator (In, NotIn, Exists, DoesNotExist)',
    ],
  },
];

describe('label selectors', () => {
  describe('matching', () => {
    for (const testCase of matchCases) {
      it(testCase.name, () => {
        expect(validateLabelSelector(testCase.selector, 'sel')).to.deep.equal([]);
        expect(compileLabelSelector(testCase.selector).matches(testCase.labels)).to.equal(testCase.matches);
      });
    }
  });

  describe('validation', () => {
    for (const testCase of validationCases) {
      it(testCase.name, () => {
        const problems = validateLabelSelector(testCase.selector, 'sel').map(
          (p) => `${p.path}: ${p.message}`,
        );
        expect(problems).to.deep.equal(testCase.problems);
      });
    }
  });

  describe('text form', () => {
    it('is canonical regardless of field order', () => {
      const a = compileLabelSelector({
        matchLabels: { b: '2', a: '1' },
        matchExpressions: [{ key: 'c', operator: 'NotIn', values: ['y', 'x'] }],
      });
      const b = compileLabelSelector({
        matchExpressions: [{ key: 'c', operator: 'NotIn', values: ['x', 'y'] }],
        matchLabels: { a: '1', b: '2' },
      });
      expect(a.text).to.equal('a=1,b=2,c notin (x,y)');
      expect(b.text).to.equal(a.text);
    });
    it('marks the empty selector', () => {
      expect(compileLabelSelector({}).matchesEverything).to.equal(true);
      expect(compileLabelSelector({ matchLabels: { a: 'b' } }).matchesEverything).to.equal(false);
    });
  });
});
