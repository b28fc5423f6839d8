// Reading our table back: nft's JSON elements become the text build-table.ts renders, whatever form nft chose
// (a single address, a prefix, a range), and output that is not nft's shape is refused.
import { expect } from 'chai';
import { commentDigest, parseJsonListing, tableSection } from '../src/state/nft-listing.js';

// Captured from `nft -j list table` (nft 1.0.6, Debian 12) and trimmed.
const LISTING = JSON.stringify({
  nftables: [
    { metainfo: { version: '1.0.6', json_schema_version: 1 } },
    { table: { family: 'inet', name: 'egress-proxier', handle: 1 } },
    {
      set: {
        family: 'inet',
        name: 'cluster4',
        table: 'egress-proxier',
        type: 'ipv4_addr',
        flags: ['interval'],
        elem: [
          { prefix: { addr: '10.244.0.0', len: 16 } },
          '192.0.2.201',
          { range: ['192.0.2.5', '192.0.2.9'] },
        ],
      },
    },
    {
      map: {
        family: 'inet',
        name: 'snat4',
        table: 'egress-proxier',
        type: ['ipv4_addr', 'ipv4_addr'],
        map: 'ipv4_addr',
        flags: ['interval'],
        elem: [
          [{ concat: ['10.244.1.2', { prefix: { addr: '203.0.113.0', len: 25 } }] }, '192.0.2.100'],
          [{ concat: ['10.244.1.3', '203.0.113.7'] }, '192.0.2.100'],
        ],
      },
    },
    {
      map: {
        family: 'inet',
        name: 'steer6',
        table: 'egress-proxier',
        type: ['ipv6_addr', 'ipv6_addr'],
        map: 'verdict',
        flags: ['interval'],
        elem: [
          [{ concat: ['fd00::2', { prefix: { addr: '::', len: 0 } }] }, { jump: { target: 'steer-0x100' } }],
        ],
      },
    },
    { set: { family: 'inet', name: 'drop4', table: 'egress-proxier', type: ['ipv4_addr', 'ipv4_addr'] } },
    { chain: { family: 'inet', table: 'egress-proxier', name: 'steer-0x100', handle: 3 } },
  ],
});

describe('nft listing parser', () => {
  it('reads elements of sets and maps in the rendered form, and the chains', () => {
    const listing = parseJsonListing(LISTING);
    expect([...(listing.elements.get('cluster4') ?? [])]).to.deep.equal([
      '10.244.0.0/16',
      '192.0.2.201/32',
      '192.0.2.5-192.0.2.9',
    ]);
    expect([...(listing.elements.get('snat4') ?? [])]).to.deep.equal([
      '10.244.1.2 . 203.0.113.0/25 : 192.0.2.100',
      '10.244.1.3 . 203.0.113.7/32 : 192.0.2.100',
    ]);
    expect([...(listing.elements.get('steer6') ?? [])]).to.deep.equal(['fd00::2 . ::/0 : jump steer-0x100']);
    expect([...(listing.elements.get('drop4') ?? [])]).to.deep.equal([]);
    expect(listing.chains).to.deep.equal(['steer-0x100']);
  });

  it('refuses output it does not understand', () => {
    expect(() => parseJsonListing('{}')).to.throw(/no "nftables" array/);
    const odd = JSON.stringify({
      nftables: [{ map: { name: 'snat4', elem: [[{ concat: ['10.244.1.2', { set: [] }] }, '192.0.2.1']] } }],
    });
    expect(() => parseJsonListing(odd)).to.throw(/unexpected address/);
    const badData = JSON.stringify({
      nftables: [{ map: { name: 'steer4', elem: [['10.244.1.2', { goto: { target: 'x' } }]] } }],
    });
    expect(() => parseJsonListing(badData)).to.throw(/unexpected map data/);
  });

  it('finds our structure digest in the comment, and only ours', () => {
    expect(
      commentDigest('table inet egress-proxier {\n\tcomment "egress-proxier structure 0123abcd"\n'),
    ).to.equal('0123abcd');
    expect(commentDigest('table inet egress-proxier {\n\tcomment "someone else"\n')).to.equal(undefined);
    expect(commentDigest('table inet egress-proxier {\n}\n')).to.equal(undefined);
  });
});

describe("our table's block of a terse ruleset listing", () => {
  const ours =
    'table inet egress-proxier {\n\tcomment "egress-proxier structure 0123"\n\tchain c {\n\t}\n}\n';
  const other =
    'table ip nat {\n\tchain POSTROUTING {\n\t\ttype nat hook postrouting priority srcnat; policy accept;\n\t}\n}\n';

  it('is found first, between others and last, and ends at the brace that closes it', () => {
    expect(tableSection(ours + other)).to.equal(ours);
    expect(tableSection(other + ours + other)).to.equal(ours);
    expect(tableSection(other + ours)).to.equal(ours);
    expect(tableSection('table inet egress-proxier {\n}\n')).to.equal('table inet egress-proxier {\n}\n');
  });

  it('is undefined without our table, also next to a table whose name starts like ours', () => {
    expect(tableSection(other)).to.equal(undefined);
    expect(tableSection('')).to.equal(undefined);
    expect(tableSection(other.replace('ip nat', 'inet egress-proxier-old'))).to.equal(undefined);
  });

  it('refuses a block that is not closed rather than guessing', () => {
    expect(() => tableSection('table inet egress-proxier {\n\tchain c {\n')).to.throw(/not closed/);
  });
});
