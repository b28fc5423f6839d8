// SNAT port pressure: when an egress IP is under pressure (threshold, release below 90 % of it, steady
// figures), the lease annotation's round trip, and the totals that survive a datapath counter restart.
import { expect } from 'chai';
import type { SnatPortUse } from '../../src/plugin/traffic.js';
import {
  formatPortPressure,
  judgePortPressure,
  parsePortPressure,
  remoteEndpoint,
} from '../../src/traffic/port-pressure.js';
import { TrafficTotals } from '../../src/traffic/traffic-totals.js';

const use = (egressIP: string, ports: number, remotePort = 443): SnatPortUse => ({
  egressIP,
  protocol: 'tcp',
  remoteAddress: '203.0.113.5',
  remotePort,
  ports,
});

describe('SNAT port pressure', () => {
  it('comes on at the threshold of the capacity, judged by the busiest endpoint of each IP', () => {
    const pressure = judgePortPressure(
      [use('192.0.2.10', 799), use('192.0.2.11', 10), use('192.0.2.11', 800, 80)],
      1000,
      0.8,
      new Map(),
    );
    expect([...pressure.keys()]).to.deep.equal(['192.0.2.11']);
    expect(pressure.get('192.0.2.11')).to.include({ ports: 800, capacity: 1000, remotePort: 80 });
  });

  it('goes off only below 90 % of the threshold, and keeps figures that moved by under 1 % of the capacity', () => {
    const on = judgePortPressure([use('192.0.2.10', 850)], 1000, 0.8, new Map());
    const steady = judgePortPressure([use('192.0.2.10', 845)], 1000, 0.8, on);
    expect(steady.get('192.0.2.10'), 'the same object: nothing to publish').to.equal(on.get('192.0.2.10'));
    const moved = judgePortPressure([use('192.0.2.10', 760)], 1000, 0.8, steady);
    expect(moved.get('192.0.2.10')).to.include({ ports: 760 });
    expect(judgePortPressure([use('192.0.2.10', 721)], 1000, 0.8, moved).size).to.equal(1);
    expect(judgePortPressure([use('192.0.2.10', 719)], 1000, 0.8, moved).size).to.equal(0);
    expect(judgePortPressure([], 1000, 0.8, moved).size, 'no connections left').to.equal(0);
  });

  it('round-trips through the lease annotation, and reads garbage as no pressure', () => {
    const pressure = judgePortPressure(
      [use('2001:db8::10', 900), use('192.0.2.10', 950)],
      1000,
      0.8,
      new Map(),
    );
    const text = formatPortPressure(pressure);
    expect(text.indexOf('192.0.2.10')).to.be.lessThan(text.indexOf('2001:db8::10'));
    expect(parsePortPressure(text)).to.deep.equal(pressure);
    for (const garbage of [
      undefined,
      '',
      '{',
      '{"v":2,"ips":{}}',
      '{"v":1,"ips":{"192.0.2.1":{"ports":"x"}}}',
    ])
      expect(parsePortPressure(garbage).size, String(garbage)).to.equal(0);
    expect(remoteEndpoint({ remoteAddress: '2001:db8::5', remotePort: 443, protocol: 'udp' })).to.equal(
      '[2001:db8::5]:443/udp',
    );
  });
});

describe('traffic totals', () => {
  it('adds growth, takes a reading with either figure lower as a restart from zero, and reports IPs no longer read', () => {
    const totals = new TrafficTotals();
    const first = totals.advance([{ egressIP: '192.0.2.10', connections: 5, bytes: 500 }]);
    expect(first.deltas).to.deep.equal([{ egressIP: '192.0.2.10', connections: 5, bytes: 500 }]);
    const grown = totals.advance([{ egressIP: '192.0.2.10', connections: 8, bytes: 800 }]);
    expect(grown.deltas).to.deep.equal([{ egressIP: '192.0.2.10', connections: 3, bytes: 300 }]);
    const restarted = totals.advance([
      { egressIP: '192.0.2.10', connections: 2, bytes: 900 },
      { egressIP: '192.0.2.11', connections: 1, bytes: 60 },
    ]);
    expect(restarted.deltas).to.deep.equal([
      { egressIP: '192.0.2.10', connections: 2, bytes: 900 },
      { egressIP: '192.0.2.11', connections: 1, bytes: 60 },
    ]);
    expect(totals.advance([{ egressIP: '192.0.2.11', connections: 1, bytes: 60 }]).gone).to.deep.equal([
      '192.0.2.10',
    ]);
  });
});
