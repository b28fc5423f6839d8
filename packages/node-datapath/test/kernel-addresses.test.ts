// Egress addresses on a real kernel: added with a lifetime, announced (gratuitous ARP for IPv4, an unsolicited
// neighbour advertisement for IPv6, seen by the neighbour namespace switching its neighbour entry to us),
// adopted by a new process after a restart, and gone by themselves when nobody renews them.
import { assertLabPrerequisites } from '@egress-proxier/netlab';
import { expect } from 'chai';
import {
  addAddresses,
  adoptAddresses,
  CommandRunner,
  desiredAddresses,
  NeighbourAnnouncer,
  readOwnedAddresses,
  removeAddresses,
  renewAddresses,
} from '../src/index.js';
import { logger } from './support/fixtures.js';
import { clock, createPairLab, sleep, type PairLab } from './support/pair-lab.js';

const V4 = '192.0.2.100';
const V6 = '2001:db8::100';
const STALE_MAC = '02:00:00:00:00:99';

describe('egress addresses on a real kernel', function () {
  this.timeout(30_000);
  let lab: PairLab;
  let mac: string;

  before(async () => {
    await assertLabPrerequisites(['arping', 'ndptool']);
    lab = await createPairLab('ndpa');
    mac = (
      JSON.parse(await lab.sh(lab.gateway, 'ip', '-j', 'link', 'show', 'dev', 'eth0')) as {
        address: string;
      }[]
    )[0]?.address as string;
  });
  after(async () => {
    await lab?.destroy();
  });

  const table = {
    node: 'gw',
    clusterCIDRs: [],
    sourceSets: [],
    rules: [],
    hostedEgressIPs: [
      { ip: V4, family: 4 as const, policies: ['db'] },
      { ip: V6, family: 6 as const, policies: ['db'] },
    ],
  };

  /** The neighbour believes another host (the previous gateway) holds `ip`. */
  async function plantStale(family: 4 | 6, ip: string): Promise<void> {
    const args = ['neigh', 'replace', ip, 'lladdr', STALE_MAC, 'dev', 'eth0', 'nud', 'stale'];
    await lab.sh(lab.neighbour, 'ip', `-${family}`, ...args);
  }

  async function neighbourEntry(family: 4 | 6, ip: string): Promise<string | undefined> {
    const text = await lab.sh(lab.neighbour, 'ip', '-j', `-${family}`, 'neigh', 'show', ip, 'dev', 'eth0');
    return (JSON.parse(text || '[]') as { lladdr?: string }[])[0]?.lladdr;
  }

  it('adds both families with a lifetime and announces them: the neighbour switches its entries to us', async () => {
    // The neighbour believes another host holds both IPs (the previous gateway, before a failover).
    for (const [family, ip] of [
      [4, V4],
      [6, V6],
    ] as const) {
      await plantStale(family, ip);
    }
    // A neighbour entry younger than `locktime` (1 s) is not overridden: in a failover it is much older.
    await sleep(1200);
    const exec = lab.exec(lab.gateway);
    const announcer = new NeighbourAnnouncer(exec, logger, clock, 1);
    const runner = new CommandRunner(exec, undefined);
    await addAddresses(runner, announcer, 30, desiredAddresses(table, 'eth0'), []);
    await announcer.settled();
    const owned = await readOwnedAddresses(runner, 'eth0');
    expect(
      owned.map((a) => `${a.local}/${a.prefixLength} ${a.label ?? '-'} ${a.dynamic}`).sort(),
    ).to.deep.equal(['192.0.2.100/32 eth0:egp true', '2001:db8::100/128 - true']);
    expect(await neighbourEntry(4, V4), 'ARP entry after gratuitous ARP').to.equal(mac);
    expect(await neighbourEntry(6, V6), 'neighbour entry after the unsolicited NA').to.equal(mac);
  });

  it('without the NA the neighbour keeps the stale IPv6 entry (negative control)', async () => {
    await plantStale(6, V6);
    const runner = new CommandRunner(lab.exec(lab.gateway), undefined);
    await sleep(1200);
    await renewAddresses(runner, desiredAddresses(table, 'eth0'), 30);
    await sleep(500);
    expect(await neighbourEntry(6, V6)).to.equal(STALE_MAC);
  });

  it('a new process adopts the addresses (renewing them) and they expire when nobody renews them', async () => {
    const runner = new CommandRunner(lab.exec(lab.gateway), undefined);
    const adopted = await adoptAddresses(runner, 'eth0');
    expect(adopted.map((a) => a.cidr).sort()).to.deep.equal(['192.0.2.100/32', '2001:db8::100/128']);
    await renewAddresses(runner, adopted, 2);
    await sleep(3500);
    expect(await readOwnedAddresses(runner, 'eth0'), 'expired by the kernel').to.deep.equal([]);
    const primary = await lab.sh(lab.gateway, 'ip', '-o', 'addr', 'show', 'dev', 'eth0');
    expect(primary, 'the node address is not ours to touch').to.include('192.0.2.11/24');
  });

  it('withdraws only our addresses', async () => {
    const runner = new CommandRunner(lab.exec(lab.gateway), undefined);
    await addAddresses(
      runner,
      new NeighbourAnnouncer(lab.exec(lab.gateway), logger, clock, 0),
      30,
      desiredAddresses(table, 'eth0'),
      [],
    );
    await removeAddresses(runner, [], await readOwnedAddresses(runner, 'eth0'));
    expect(await readOwnedAddresses(runner, 'eth0')).to.deep.equal([]);
    expect(await lab.sh(lab.gateway, 'ip', '-o', 'addr', 'show', 'dev', 'eth0')).to.include(
      '2001:db8::11/64',
    );
  });
});
