// The schema engine behind the in-memory API server's custom resources: Go's netip rules, the Kubernetes
// IP and CIDR CEL libraries function by function, the cost bound, transition rules, and CRDs it refuses.
import { expect } from 'chai';
import { CustomResourceSchema, errorString, startApiServer, type StructuralSchema } from '../src/index.js';
import { formatAddr, parseAddr, parsePrefix } from '../src/schema/net/netip.js';

describe('netip, as Go parses and prints addresses', () => {
  const printed: [string, string][] = [
    ['192.0.2.10', '192.0.2.10'],
    ['2001:DB8::10', '2001:db8::10'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['0:0:0:0:0:0:0:0', '::'],
    ['::1', '::1'],
    ['1::', '1::'],
    ['::ffff:192.0.2.1', '::ffff:192.0.2.1'],
    ['64:ff9b::192.0.2.1', '64:ff9b::c000:201'],
  ];
  for (const [text, canonical] of printed) {
    it(`prints ${text} as ${canonical}`, () => {
      const parsed = parseAddr(text);
      expect('ok' in parsed && formatAddr(parsed.ok)).to.equal(canonical);
    });
  }
  for (const bad of [
    '192.0.2.010',
    '192.0.2',
    '192.0.2.256',
    '1:2:3:4:5:6:7:8:9',
    '1::2::3',
    '12345::',
    'gateway',
    '',
  ]) {
    it(`refuses ${JSON.stringify(bad)}`, () => expect(parseAddr(bad)).to.have.property('error'));
  }
  it('keeps a zone apart and refuses one in a prefix', () => {
    const parsed = parseAddr('fe80::1%eth0');
    expect('ok' in parsed && parsed.ok.zone).to.equal('eth0');
    expect(parsePrefix('fe80::1%eth0/64')).to.have.property('error');
  });
  it('refuses prefix lengths with a leading zero or out of range', () => {
    expect(parsePrefix('10.0.0.0/08')).to.have.property('error');
    expect(parsePrefix('10.0.0.0/33')).to.have.property('error');
    expect(parsePrefix('10.0.0.0/8')).to.have.property('ok');
  });
});

/** A one-field schema whose string `v` carries `rule`. */
function ruleSchema(rule: string, type: StructuralSchema['type'] = 'string'): CustomResourceSchema {
  return new CustomResourceSchema({
    type: 'object',
    properties: { v: { type, maxLength: 64, 'x-kubernetes-validations': [{ rule, message: 'refused' }] } },
  });
}

function verdict(rule: string, value: string): string {
  const errors = ruleSchema(rule).validate({ v: value });
  if (errors.length === 0) return 'accepted';
  const text = errorString(errors[0]!);
  return text === 'v: Invalid value: "string": refused' ? 'refused' : text;
}

describe('the Kubernetes IP and CIDR CEL libraries', () => {
  const cases: [string, string, string][] = [
    ['isIP(self)', '2001:db8::1', 'accepted'],
    ['isIP(self)', '192.0.2.1%eth0', 'refused'],
    ['isIP(self)', '::ffff:192.0.2.1', 'refused'],
    ['ip.isCanonical(self)', '2001:db8::1', 'accepted'],
    ['ip.isCanonical(self)', '2001:DB8::1', 'refused'],
    ['ip(self).family() == 6', '2001:db8::1', 'accepted'],
    ['ip(self).family() == 4', '192.0.2.1', 'accepted'],
    ['ip(self).isUnspecified()', '0.0.0.0', 'accepted'],
    ['ip(self).isUnspecified()', '192.0.2.1', 'refused'],
    ['ip(self).isLoopback()', '127.1.2.3', 'accepted'],
    ['ip(self).isLoopback()', '::2', 'refused'],
    ['ip(self).isLinkLocalMulticast()', 'ff02::1', 'accepted'],
    ['ip(self).isLinkLocalMulticast()', '224.0.1.1', 'refused'],
    ['ip(self).isLinkLocalUnicast()', '169.254.10.1', 'accepted'],
    ['ip(self).isLinkLocalUnicast()', 'fec0::1', 'refused'],
    ['ip(self).isGlobalUnicast()', '10.1.2.3', 'accepted'],
    ['ip(self).isGlobalUnicast()', 'fd00::1', 'accepted'],
    ['ip(self).isGlobalUnicast()', '255.255.255.255', 'refused'],
    ['ip(self).isGlobalUnicast()', 'ff05::1', 'refused'],
    ["string(ip(self)) == '2001:db8::1'", '2001:0db8:0::1', 'accepted'],
    ["ip(self) == ip('2001:db8::1')", '2001:db8:0:0::1', 'accepted'],
    ['isCIDR(self)', '192.0.2.1/24', 'accepted'],
    ['isCIDR(self)', '192.0.2.0', 'refused'],
    ["cidr(self).containsIP('192.0.2.200')", '192.0.2.0/24', 'accepted'],
    ["cidr(self).containsIP(ip('192.0.3.1'))", '192.0.2.0/24', 'refused'],
    ["cidr(self).containsCIDR('192.0.2.128/25')", '192.0.2.0/24', 'accepted'],
    ["cidr(self).containsCIDR(cidr('192.0.0.0/16'))", '192.0.2.0/24', 'refused'],
    ["cidr(self).containsCIDR('2001:db8::/64')", '192.0.2.0/24', 'refused'],
    ["string(cidr(self).masked()) == '192.0.2.0/24'", '192.0.2.77/24', 'accepted'],
    ['cidr(self) == cidr(self).masked()', '192.0.2.77/24', 'refused'],
    ['cidr(self).prefixLength() == 48', '2001:db8::/48', 'accepted'],
    ["cidr(self).ip() == ip('192.0.2.77')", '192.0.2.77/24', 'accepted'],
    ["string(cidr(self)) == '2001:db8::/32'", '2001:DB8:0::/32', 'accepted'],
  ];
  for (const [rule, value, expected] of cases) {
    it(`${rule} with self=${value}: ${expected}`, () => expect(verdict(rule, value)).to.equal(expected));
  }

  it('reports a conversion error as the rule’s evaluation error', () => {
    expect(verdict('ip(self).isLoopback()', 'not-an-ip')).to.equal(
      'v: Invalid value: "string": IP Address "not-an-ip" parse error during conversion from string: ParseAddr("not-an-ip"): unable to parse IP evaluating rule: refused',
    );
  });
});

describe('the CEL cost bound', () => {
  it('stops a rule that would take 10^8 steps at the per-call limit, quickly', () => {
    const hundred = `[${Array.from({ length: 100 }, (_, i) => i).join(',')}]`;
    const rule = `${hundred}.all(a, ${hundred}.all(b, ${hundred}.all(c, ${hundred}.all(d, size(self) > 0))))`;
    const started = Date.now();
    const errors = ruleSchema(rule).validate({ v: 'x' });
    const elapsed = Date.now() - started;
    expect(errors.map(errorString)).to.deep.equal([
      'v: Invalid value: "string": \'operation cancelled: actual cost limit exceeded\': no further validation rules will be run due to call cost exceeds limit for rule: refused',
    ]);
    expect(elapsed, `${elapsed} ms`).to.be.below(5000);
  });

  it('stops all rules once one object has spent the per-request budget', () => {
    const list = (n: number): string => `[${Array.from({ length: n }, (_, i) => i).join(',')}]`;
    // 300,000 iterations at two units each: under the per-call limit, but 20 of them exceed 10,000,000.
    const rule = `${list(1000)}.all(a, ${list(300)}.all(b, true))`;
    const schema = new CustomResourceSchema({
      type: 'object',
      properties: {
        v: { type: 'array', maxItems: 32, items: { type: 'string', 'x-kubernetes-validations': [{ rule }] } },
      },
    });
    const errors = schema.validate({ v: Array.from({ length: 20 }, () => 'x') }).map(errorString);
    expect(errors.at(-1)).to.match(
      /^v\[\d+\]: Invalid value: "string": validation failed due to running out of cost budget, no further validation rules will be run$/,
    );
    expect(errors).to.have.length.below(20);
  });
});

describe('transition rules and CRDs the server refuses', () => {
  it('evaluates a rule on oldSelf only on update', () => {
    const schema = ruleSchema('self == oldSelf');
    expect(schema.validate({ v: 'a' })).to.deep.equal([]);
    expect(schema.validate({ v: 'a' }, { v: 'a' })).to.deep.equal([]);
    expect(schema.validate({ v: 'b' }, { v: 'a' }).map(errorString)).to.deep.equal([
      'v: Invalid value: "string": refused',
    ]);
  });

  const crd = (schema: object): object => ({
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'widgets.example.com' },
    spec: {
      group: 'example.com',
      scope: 'Cluster',
      names: { kind: 'Widget', plural: 'widgets' },
      versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: schema } }],
    },
  });

  it('refuses a CRD whose rule does not compile, naming the rule', async () => {
    const server = await startApiServer();
    try {
      const schema = {
        type: 'object',
        properties: { spec: { type: 'object', 'x-kubernetes-validations': [{ rule: 'self.a ==' }] } },
      };
      expect(() => server.store.put(crd(schema) as never)).to.throw(
        /CustomResourceDefinition.apiextensions.k8s.io "widgets.example.com" is invalid: spec.versions.schema.openAPIV3Schema.properties\[spec\].x-kubernetes-validations\[0\].rule: Invalid value: "self.a ==": compilation failed/,
      );
    } finally {
      await server.close();
    }
  });

  it('refuses a CRD with a keyword it would otherwise ignore', async () => {
    const server = await startApiServer();
    try {
      const schema = { type: 'object', properties: { spec: { type: 'object', minProperties: 1 } } };
      expect(() => server.store.put(crd(schema) as never)).to.throw(
        'openAPIV3Schema.properties[spec]: schema keyword minProperties is not implemented by the in-memory API server',
      );
    } finally {
      await server.close();
    }
  });
});
