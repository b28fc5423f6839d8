// `--from` and `--to` as a user types them: accepted forms and the message for each mistake.
import { expect } from 'chai';
import { parseDestination, parsePodRef, TraceError } from '../../src/trace/trace-request.js';

const destinations: [string, { destination: string; port: number | null }][] = [
  ['203.0.113.5', { destination: '203.0.113.5', port: null }],
  ['203.0.113.5:443', { destination: '203.0.113.5', port: 443 }],
  ['2001:db8::5', { destination: '2001:db8::5', port: null }],
  ['2001:DB8:0::5', { destination: '2001:db8::5', port: null }],
  ['2001:db8::5:443', { destination: '2001:db8::5:443', port: null }],
  ['[2001:db8::5]', { destination: '2001:db8::5', port: null }],
  ['[2001:db8::5]:65535', { destination: '2001:db8::5', port: 65535 }],
];

const badDestinations: [string, RegExp][] = [
  ['db.example.com', /"db\.example\.com" is not an IP address/],
  ['203.0.113', /"203\.0\.113" is not an IP address/],
  ['203.0.113.5/32', /is not an IP address/],
  ['203.0.113.5:0', /port must be a number from 1 to 65535/],
  ['203.0.113.5:65536', /port must be a number from 1 to 65535/],
  ['203.0.113.5:https', /port must be a number from 1 to 65535/],
  ['203.0.113.5:', /port must be a number from 1 to 65535/],
  ['[2001:db8::5]:-1', /port must be a number/],
  ['[203.0.113.5]:80', /brackets are for IPv6 addresses/],
  ['fe80::1%eth0', /is not an IP address/],
];

function errorOf(f: () => unknown): TraceError {
  try {
    f();
  } catch (error) {
    if (error instanceof TraceError) return error;
    throw error;
  }
  throw new Error('expected a TraceError');
}

describe('trace --to and --from', () => {
  for (const [text, expected] of destinations)
    it(`reads --to ${text}`, () => expect(parseDestination(text)).to.deep.equal(expected));

  for (const [text, message] of badDestinations)
    it(`refuses --to ${text}`, () => {
      const error = errorOf(() => parseDestination(text));
      expect(error.kind).to.equal('badArgument');
      expect(error.message).to.match(message);
      expect(error.message).to.contain(`--to ${JSON.stringify(text)}`);
    });

  it('reads --from NAMESPACE/POD', () =>
    expect(parsePodRef('payments/api-0')).to.deep.equal({ namespace: 'payments', name: 'api-0' }));

  for (const text of ['api-0', 'payments/', '/api-0', 'a/b/c', ''])
    it(`refuses --from ${JSON.stringify(text)}`, () => {
      const error = errorOf(() => parsePodRef(text));
      expect(error.kind).to.equal('badArgument');
      expect(error.message).to.match(/expected NAMESPACE\/POD/);
    });
});
