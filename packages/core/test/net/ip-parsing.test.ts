// What the address and CIDR parsers refuse, as a careless user writes it: trailing garbage, signs, leading
// zeros, whitespace, a second "/". Every Egress field, node address and --cluster-cidr flag goes through them.
import { expect } from 'chai';
import { canonicalIP, parseCidr } from '../../src/net/ip.js';

describe('canonicalIP', () => {
  const accepted: [string, string][] = [
    ['192.0.2.1', '192.0.2.1'],
    ['0.0.0.0', '0.0.0.0'],
    ['2001:DB8:0::1', '2001:db8::1'],
    ['::', '::'],
  ];
  for (const [text, canonical] of accepted) {
    it(`accepts ${JSON.stringify(text)} as ${canonical}`, () =>
      expect(canonicalIP(text)).to.equal(canonical));
  }

  const refused = [
    '192.0.2.1 ',
    ' 192.0.2.1',
    '192.0.2.1\n',
    '+192.0.2.1',
    '-192.0.2.1',
    '192.0.2.01',
    '010.0.0.1',
    '0x0a.0.0.1',
    '10.1',
    '192.0.2.1.5',
    '192.0.2.1x',
    '192.0.2.256',
    '',
    '2001:db8::1 ',
    '2001:db8::1x',
    '02001:db8::1',
    'fe80::1%eth0',
    '::ffff:192.0.2.1',
    '192.0.2.1/32',
  ];
  for (const text of refused) {
    it(`refuses ${JSON.stringify(text)}`, () => expect(canonicalIP(text)).to.equal(null));
  }
});

describe('parseCidr', () => {
  const accepted: [string, string][] = [
    ['203.0.113.0/24', '203.0.113.0/24'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['192.0.2.7/32', '192.0.2.7/32'],
    ['2001:DB8::/32', '2001:db8::/32'],
    ['::/0', '::/0'],
  ];
  for (const [text, canonical] of accepted) {
    it(`accepts ${JSON.stringify(text)} as ${canonical}`, () => {
      const parsed = parseCidr(text);
      expect('cidr' in parsed && parsed.cidr.text).to.equal(canonical);
    });
  }

  const refused: [string, RegExp][] = [
    ['203.0.113.0/24/8', /more than one "\/"/],
    ['203.0.113.0/24/', /more than one "\/"/],
    ['203.0.113.0//24', /more than one "\/"/],
    ['203.0.113.0/024', /without leading zeros/],
    ['2001:db8::/032', /without leading zeros/],
    ['0.0.0.0/00', /without leading zeros/],
    ['203.0.113.0/+24', /prefix length must be an integer from 0 to 32/],
    ['203.0.113.0/-0', /prefix length must be an integer from 0 to 32/],
    ['203.0.113.0/ 24', /prefix length must be an integer from 0 to 32/],
    ['203.0.113.0/24 ', /prefix length must be an integer from 0 to 32/],
    ['203.0.113.0/24x', /prefix length must be an integer from 0 to 32/],
    ['203.0.113.0/0x18', /prefix length must be an integer from 0 to 32/],
    ['203.0.113.0/24.0', /prefix length must be an integer from 0 to 32/],
    ['203.0.113.0/', /prefix length must be an integer from 0 to 32/],
    ['203.0.113.0/33', /prefix length must be an integer from 0 to 32/],
    ['2001:db8::/129', /prefix length must be an integer from 0 to 128/],
    [' 203.0.113.0/24', /" 203.0.113.0" is not a valid IP address/],
    ['203.0.113.00/24', /"203.0.113.00" is not a valid IP address/],
    ['/24', /"" is not a valid IP address/],
    ['203.0.113.0', /must be a CIDR such as/],
    ['203.0.113.5/24', /host bits are set; the network is 203.0.113.0\/24/],
  ];
  for (const [text, problem] of refused) {
    it(`refuses ${JSON.stringify(text)}`, () => {
      const parsed = parseCidr(text);
      expect('error' in parsed && parsed.error).to.match(problem);
    });
  }
});
