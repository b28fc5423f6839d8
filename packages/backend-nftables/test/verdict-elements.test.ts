// The longest-prefix table → disjoint interval-map keys: table-driven cases, each checked twice — against the
// expected elements, and by lookups: every probe destination must get from the disjoint ranges exactly the
// verdict the core's own longest-prefix lookup gives (so the cut is exact, not just plausible).
import {
  LongestPrefixLookup,
  type LongestPrefixEntry,
  type LongestPrefixTable,
  type LongestPrefixVerdict,
} from '@egress-proxier/core/plugin';
import { expect } from 'chai';
import { addressToBigInt, rangeText } from '../src/model/address-range.js';
import { verdictRanges } from '../src/model/verdict-elements.js';

const snat = (ip: string): LongestPrefixVerdict => ({
  kind: 'rule',
  policy: `p-${ip}`,
  sourceSet: `p/${ip}`,
  action: { kind: 'snat', egressIP: ip },
});
const noRule: LongestPrefixVerdict = { kind: 'noRule' };
const entry = (source: string, destination: string, verdict: LongestPrefixVerdict): LongestPrefixEntry => ({
  family: source.includes(':') ? 6 : 4,
  source,
  destination,
  verdict,
});

const cases: { name: string; entries: LongestPrefixEntry[]; expected: string[]; probes: string[] }[] = [
  {
    name: 'one prefix',
    entries: [entry('10.244.1.2', '203.0.113.0/24', snat('192.0.2.100'))],
    expected: ['10.244.1.2 . 203.0.113.0/24 → 192.0.2.100'],
    probes: ['203.0.112.255', '203.0.113.0', '203.0.113.255', '203.0.114.0'],
  },
  {
    name: 'an exclusion no later rule covers, in the middle',
    entries: [
      entry('10.244.1.2', '203.0.113.0/24', snat('192.0.2.100')),
      entry('10.244.1.2', '203.0.113.64/26', noRule),
    ],
    expected: ['10.244.1.2 . 203.0.113.0/26 → 192.0.2.100', '10.244.1.2 . 203.0.113.128/25 → 192.0.2.100'],
    probes: ['203.0.113.63', '203.0.113.64', '203.0.113.127', '203.0.113.128'],
  },
  {
    name: 'a deeper prefix with another verdict, at the start (ranges that are no prefix)',
    entries: [
      entry('10.244.1.2', '0.0.0.0/0', snat('192.0.2.100')),
      entry('10.244.1.2', '0.0.0.0/8', snat('192.0.2.101')),
      entry('10.244.1.2', '203.0.113.5/32', noRule),
    ],
    expected: [
      '10.244.1.2 . 0.0.0.0/8 → 192.0.2.101',
      '10.244.1.2 . 1.0.0.0-203.0.113.4 → 192.0.2.100',
      '10.244.1.2 . 203.0.113.6-255.255.255.255 → 192.0.2.100',
    ],
    probes: ['0.255.255.255', '1.0.0.0', '203.0.113.4', '203.0.113.5', '203.0.113.6', '255.255.255.255'],
  },
  {
    name: 'three levels, and adjacent siblings with equal verdicts merged',
    entries: [
      entry('10.244.1.2', '198.51.100.0/24', snat('192.0.2.100')),
      entry('10.244.1.2', '198.51.100.0/25', snat('192.0.2.101')),
      entry('10.244.1.2', '198.51.100.0/26', noRule),
      entry('10.244.1.2', '198.51.100.128/26', snat('192.0.2.101')),
    ],
    expected: [
      '10.244.1.2 . 198.51.100.64-198.51.100.191 → 192.0.2.101',
      '10.244.1.2 . 198.51.100.192/26 → 192.0.2.100',
    ],
    probes: ['198.51.100.0', '198.51.100.63', '198.51.100.64', '198.51.100.191', '198.51.100.192'],
  },
  {
    name: 'two sources and IPv6',
    entries: [
      entry('10.244.1.2', '203.0.113.0/24', snat('192.0.2.100')),
      entry('10.244.1.3', '203.0.113.0/25', snat('192.0.2.101')),
      entry('fd00::2', '2001:db8:113::/48', snat('2001:db8:2::100')),
      entry('fd00::2', '2001:db8:113::/64', noRule),
    ],
    expected: [
      '10.244.1.2 . 203.0.113.0/24 → 192.0.2.100',
      '10.244.1.3 . 203.0.113.0/25 → 192.0.2.101',
      'fd00::2 . 2001:db8:113:1::-2001:db8:113:ffff:ffff:ffff:ffff:ffff → 2001:db8:2::100',
    ],
    probes: ['203.0.113.1', '203.0.113.200', '2001:db8:113::1', '2001:db8:113:1::', '2001:db8:114::'],
  },
];

describe('longest-prefix entries → disjoint interval-map keys', () => {
  for (const { name, entries, expected, probes } of cases) {
    it(name, () => {
      const table: LongestPrefixTable = { node: 'n', clusterDestinations: [], entries };
      const ranges = verdictRanges(table).flatMap((group) =>
        group.ranges.map((range) => ({ ...range, source: group.source })),
      );
      const text = ranges.map(
        (range) =>
          `${range.source} . ${rangeText(range.destination)} → ${range.verdict.kind === 'rule' && range.verdict.action.kind === 'snat' ? range.verdict.action.egressIP : range.verdict.kind}`,
      );
      expect(text).to.deep.equal(expected);
      const lookup = new LongestPrefixLookup(table);
      for (const source of new Set(entries.map((e) => e.source))) {
        for (const probe of probes) {
          if (probe.includes(':') !== source.includes(':')) continue;
          const value = addressToBigInt(probe).value;
          const hits = ranges.filter(
            (r) => r.source === source && r.destination.first <= value && value <= r.destination.last,
          );
          expect(hits.length, `${source} → ${probe}: overlapping keys`).to.be.at.most(1);
          expect(hits[0]?.verdict ?? noRule, `${source} → ${probe}`).to.deep.equal(
            lookup.lookup(source, probe),
          );
        }
      }
    });
  }
});
