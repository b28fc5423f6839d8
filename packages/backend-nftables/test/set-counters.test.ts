// The traffic counters as nft prints a counted set: every element with its packets and bytes; an element of
// another shape is an error, never a silent zero.
import { expect } from 'chai';
import { parseSetCounters } from '../src/state/set-counters.js';

const listing = (elem: unknown[]) =>
  JSON.stringify({
    nftables: [
      { metainfo: { version: '1.0.6', json_schema_version: 1 } },
      { set: { family: 'inet', name: 'sent6', table: 'egress-proxier', type: 'ipv6_addr', elem } },
    ],
  });

describe('set counters (nft -j list set)', () => {
  it('reads each element with its counter, addresses canonical', () => {
    const text = listing([
      { elem: { val: '2001:0db8:e::100', counter: { packets: 12, bytes: 1_400 } } },
      { elem: { val: '2001:db8:e::101', counter: { packets: 0, bytes: 0 } } },
    ]);
    expect(parseSetCounters(text)).to.deep.equal([
      { ip: '2001:db8:e::100', packets: 12, bytes: 1_400 },
      { ip: '2001:db8:e::101', packets: 0, bytes: 0 },
    ]);
    expect(parseSetCounters(listing([]))).to.deep.equal([]);
  });

  it('refuses an element without a counter', () => {
    expect(() => parseSetCounters(listing(['2001:db8:e::100']))).to.throw(
      /unexpected element of a counted set/,
    );
  });
});
