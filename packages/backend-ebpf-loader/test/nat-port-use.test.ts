// Port use from the NAT entries a sweep keeps (busiestEndpoints): table-driven over reverse entries, which are
// what hold translated ports.
import { expect } from 'chai';
import type { SnatPortUse } from '@egress-proxier/core';
import type { NatProtocol, NatReverseEntry } from '../src/nat/nat-layout.js';
import { busiestEndpoints } from '../src/nat/nat-port-use.js';
import { EGRESS_A as A, EGRESS_B as B, EGRESS_V6 as V6, portUse as use } from './support/port-use.js';

const PROTOCOL_NUMBERS = { tcp: 6, udp: 17, icmp: 1, other: 132 } as const;

/** `count` reverse entries of one egress IP to one remote endpoint, on consecutive translated ports. */
function flows(count: number, egress: string, protocol: NatProtocol, remote: string, remotePort: number) {
  return Array.from({ length: count }, (_, index): NatReverseEntry => ({
    hexKey: `${egress}|${protocol}|${remote}|${remotePort}|${index}`,
    key: {
      egress,
      remote,
      port: 40000 + index,
      remotePort,
      protocol,
      protocolNumber: PROTOCOL_NUMBERS[protocol],
    },
    value: { lastSeenNs: 0n, pod: '10.244.1.2', podPort: 40000 + index },
  }));
}

describe('SNAT port use (busiest endpoints per egress IP)', () => {
  const cases: { name: string; entries: NatReverseEntry[]; perEgressIP?: number; expected: SnatPortUse[] }[] =
    [
      { name: 'no entries', entries: [], expected: [] },
      {
        name: 'one port per entry, by endpoint; TCP and UDP to one endpoint are separate port spaces',
        entries: [...flows(3, A, 'tcp', '203.0.113.10', 443), ...flows(2, A, 'udp', '203.0.113.10', 443)],
        expected: [use(A, 'tcp', '203.0.113.10', 443, 3), use(A, 'udp', '203.0.113.10', 443, 2)],
      },
      {
        name: 'ICMP echo identifiers and other protocols are not ports',
        entries: [...flows(4, A, 'icmp', '203.0.113.10', 0), ...flows(1, A, 'other', '203.0.113.10', 0)],
        expected: [],
      },
      {
        name: 'the busiest first, ties by address then port, and at most the top N per egress IP',
        entries: [
          ...flows(1, A, 'tcp', '203.0.113.30', 80),
          ...flows(5, A, 'tcp', '203.0.113.20', 80),
          ...flows(2, A, 'tcp', '203.0.113.10', 8080),
          ...flows(2, A, 'tcp', '203.0.113.10', 80),
          ...flows(9, B, 'udp', '198.51.100.1', 53),
        ],
        perEgressIP: 3,
        expected: [
          use(A, 'tcp', '203.0.113.20', 80, 5),
          use(A, 'tcp', '203.0.113.10', 80, 2),
          use(A, 'tcp', '203.0.113.10', 8080, 2),
          use(B, 'udp', '198.51.100.1', 53, 9),
        ],
      },
      {
        name: 'the default keeps 5 per egress IP, IPv6 as well',
        entries: Array.from({ length: 7 }, (_, index) =>
          flows(index + 1, V6, 'tcp', '2001:db8:113::10', 1000 + index),
        ).flat(),
        expected: [6, 5, 4, 3, 2].map((index) => use(V6, 'tcp', '2001:db8:113::10', 1000 + index, index + 1)),
      },
    ];
  for (const { name, entries, perEgressIP, expected } of cases)
    it(name, () => {
      expect(busiestEndpoints(entries, perEgressIP)).to.deep.equal(expected);
    });
});
