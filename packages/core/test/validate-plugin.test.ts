// What a plugin module must export, checked at runtime: one table of cases.
import { expect } from 'chai';
import { validateProxierPlugin } from '../src/plugin/validate-plugin.js';

const valid = {
  name: 'acme-egress2',
  description: 'a backend',
  scope: 'node',
  capabilities: ['sharedAddress', 'failover'],
  create: () => ({}),
  render: () => ({ sections: [] }),
};

interface Case {
  name: string;
  value: unknown;
  /** Substrings of the expected problems, one per problem; empty for a valid plugin. */
  problems: string[];
}

const cases: Case[] = [
  { name: 'a complete node plugin', value: valid, problems: [] },
  {
    name: 'a cluster plugin without capabilities',
    value: { ...valid, scope: 'cluster', capabilities: [] },
    problems: [],
  },
  {
    name: 'well-formed options',
    value: {
      ...valid,
      options: {
        'mark-mask': {
          type: 'string',
          description: 'mask',
          default: '0xff00',
          choices: ['0xff00', '0x00ff'],
        },
        'sync-batch': { type: 'number', description: 'n', default: 100 },
        tunnel: { type: 'boolean', description: 'b' },
      },
    },
    problems: [],
  },
  { name: 'not an object', value: 'iptables', problems: ['expected an object, got "iptables"'] },
  { name: 'null', value: null, problems: ['expected an object, got null'] },
  { name: 'a list', value: [valid], problems: ['expected an object, got a list'] },
  { name: 'uppercase name', value: { ...valid, name: 'Acme' }, problems: ['name: must be lowercase'] },
  {
    name: 'name starting with a digit',
    value: { ...valid, name: '1acme' },
    problems: ['name: must be lowercase'],
  },
  {
    name: 'name too long',
    value: { ...valid, name: `a${'b'.repeat(63)}` },
    problems: ['name: must be lowercase'],
  },
  {
    name: 'missing description',
    value: { ...valid, description: undefined },
    problems: ['description: must be a string, got nothing'],
  },
  {
    name: 'unknown scope',
    value: { ...valid, scope: 'pod' },
    problems: ['scope: must be "node" or "cluster", got "pod"'],
  },
  {
    name: 'capabilities not a list',
    value: { ...valid, capabilities: 'ipv6' },
    problems: ['capabilities: must be a list'],
  },
  {
    name: 'unknown capability',
    value: { ...valid, capabilities: ['ipv6', 'ipv7'] },
    problems: ['capabilities[1]: unknown capability "ipv7"'],
  },
  {
    name: 'duplicate capability',
    value: { ...valid, capabilities: ['ipv6', 'ipv6'] },
    problems: ['capabilities[1]: duplicate "ipv6"'],
  },
  {
    name: 'create not a function',
    value: { ...valid, create: {} },
    problems: ['create: must be a function, got an object'],
  },
  {
    name: 'render missing',
    value: { ...valid, render: undefined },
    problems: ['render: must be a function, got nothing'],
  },
  {
    name: 'options not an object',
    value: { ...valid, options: [] },
    problems: ['options: must be an object'],
  },
  {
    name: 'option with a bad name',
    value: { ...valid, options: { Mode: { type: 'string', description: 'd' } } },
    problems: ['options.Mode: option names'],
  },
  {
    name: 'camelCase option names are fine (the CLI spells them with dashes)',
    value: { ...valid, options: { routeTableBase: { type: 'number', description: 'd' } } },
    problems: [],
  },
  {
    name: 'option with an unknown type',
    value: { ...valid, options: { mode: { type: 'int', description: 'd' } } },
    problems: ['options.mode.type: must be one of string, number, boolean'],
  },
  {
    name: 'option without description',
    value: { ...valid, options: { mode: { type: 'string' } } },
    problems: ['options.mode.description'],
  },
  {
    name: 'option default of the wrong type',
    value: { ...valid, options: { n: { type: 'number', description: 'd', default: '5' } } },
    problems: ['options.n.default: must be a number, got "5"'],
  },
  {
    name: 'choices on a number',
    value: { ...valid, options: { n: { type: 'number', description: 'd', choices: ['1'] } } },
    problems: ['options.n.choices: only string options'],
  },
  {
    name: 'empty choices',
    value: { ...valid, options: { m: { type: 'string', description: 'd', choices: [] } } },
    problems: ['options.m.choices: must be a non-empty list'],
  },
  {
    name: 'default outside the choices',
    value: {
      ...valid,
      options: { m: { type: 'string', description: 'd', default: 'c', choices: ['a', 'b'] } },
    },
    problems: ['options.m.default: "c" is not one of the choices (a, b)'],
  },
  {
    name: 'companion that is not a function',
    value: { ...valid, companion: 'webhook' },
    problems: ['companion: must be a function when present'],
  },
  {
    name: 'a preflight',
    value: { ...valid, preflight: async () => ({ checks: [] }) },
    problems: [],
  },
  {
    name: 'preflight that is not a function',
    value: { ...valid, preflight: { checks: [] } },
    problems: ['preflight: must be a function when present, got an object'],
  },
  {
    name: 'every problem is reported',
    value: { name: 'X', scope: 'x', capabilities: ['y'] },
    problems: ['name:', 'description:', 'scope:', 'capabilities[0]:', 'create:', 'render:'],
  },
];

describe('validateProxierPlugin', () => {
  for (const testCase of cases) {
    it(testCase.name, () => {
      const result = validateProxierPlugin(testCase.value);
      if (testCase.problems.length === 0) {
        expect(result).to.deep.equal({ plugin: testCase.value });
        return;
      }
      expect(result).to.have.property('problems');
      const problems = 'problems' in result ? result.problems : [];
      expect(problems).to.have.length(testCase.problems.length, problems.join('\n'));
      testCase.problems.forEach((expected, index) => expect(problems[index]).to.contain(expected));
    });
  }
});
