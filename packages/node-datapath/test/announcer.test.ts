import { ManualClock, RecordingExec, flushMicrotasks } from '@egress-proxier/core/testing';
import { expect } from 'chai';
import { NeighbourAnnouncer } from '../src/index.js';
import { logger } from './support/fixtures.js';

describe('announcing new egress addresses', () => {
  it('sends gratuitous ARP for IPv4 (iputils arping) and unsolicited NAs for IPv6, one a second', async () => {
    const exec = new RecordingExec().respond('arping --help', {
      exitCode: 2,
      stderr: 'Usage: arping [-AbBDfhqUV] -I <device>',
    });
    const clock = new ManualClock();
    const announcer = new NeighbourAnnouncer(exec, logger, clock, 3);
    announcer.announce({ ip: '192.0.2.100', family: 4, device: 'eth0' });
    announcer.announce({ ip: '2001:db8::100', family: 6, device: 'eth0' });
    await flushMicrotasks();
    const na = 'ndptool -t na -U -i eth0 -T 2001:db8::100 send';
    expect(
      exec.commandLines().filter((line) => line === na),
      'the first NA at once',
    ).to.have.length(1);
    await clock.advanceAsync(2000);
    await announcer.settled();
    expect(exec.commandLines()).to.deep.equal([
      'arping --help',
      na,
      'arping -U -c 3 -I eth0 192.0.2.100',
      na,
      na,
    ]);
  });

  it("names the source with Habets' arping", async () => {
    const exec = new RecordingExec().respond('arping --help', {
      exitCode: 1,
      stdout: 'ARPing 2.23, by Thomas Habets',
    });
    const announcer = new NeighbourAnnouncer(exec, logger, new ManualClock(), 1);
    announcer.announce({ ip: '192.0.2.100', family: 4, device: 'eth0' });
    await announcer.settled();
    expect(exec.commandLines().at(-1)).to.equal('arping -U -c 1 -i eth0 -S 192.0.2.100 192.0.2.100');
  });

  it('sends nothing when the count is 0, and a failed announcement does not reject', async () => {
    const exec = new RecordingExec().respond('ndptool', { exitCode: 1, stderr: 'ndptool: not found' });
    new NeighbourAnnouncer(exec, logger, new ManualClock(), 0).announce({
      ip: '2001:db8::1',
      family: 6,
      device: 'eth0',
    });
    expect(exec.calls).to.have.length(0);
    const failing = new NeighbourAnnouncer(exec, logger, new ManualClock(), 1);
    failing.announce({ ip: '2001:db8::1', family: 6, device: 'eth0' });
    await failing.settled();
    expect(exec.commandLines()).to.deep.equal(['ndptool -t na -U -i eth0 -T 2001:db8::1 send']);
  });
});
