// The TrafficReading the proxier returns (trafficReading): every hosted egress IP, and only those, from the
// counters read and the port use of the last idle sweep.
import { expect } from 'chai';
import { NAT_PORT_CAPACITY } from '../src/nat/nat-port-use.js';
import { trafficReading } from '../src/traffic/traffic-reading.js';
import { EGRESS_A as A, EGRESS_B as B, EGRESS_V6 as V6, portUse as use } from './support/port-use.js';

describe('trafficReading', () => {
  it('reports every hosted egress IP, zeros for one that translated nothing, and no other', () => {
    const counters = new Map([
      [A, { connections: 3, bytes: 900 }],
      ['192.0.2.199', { connections: 1, bytes: 60 }], // left the node: not reported
      [V6, { connections: 2, bytes: 200 }],
    ]);
    const reading = trafficReading([A, B, '2001:db8:2:0::100'], counters, []);
    expect(reading.traffic).to.deep.equal([
      { egressIP: A, connections: 3, bytes: 900 },
      { egressIP: B, connections: 0, bytes: 0 },
      { egressIP: '2001:db8:2:0::100', connections: 2, bytes: 200 }, // matched canonically, named as hosted
    ]);
  });

  it("keeps the port use of hosted egress IPs only, and gives the BPF NAT's port range as the capacity", () => {
    const portUse = [
      use(A, 'tcp', '203.0.113.10', 443, 4),
      use('192.0.2.199', 'tcp', '203.0.113.10', 443, 9),
    ];
    const reading = trafficReading([A], new Map(), portUse);
    expect(reading.portUse).to.deep.equal([use(A, 'tcp', '203.0.113.10', 443, 4)]);
    expect(reading.portCapacity).to.equal(60999 - 32768 + 1);
    expect(NAT_PORT_CAPACITY).to.equal(28_232);
  });
});
