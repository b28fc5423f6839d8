// Drift outside our chains, on a real kernel: an ip rule, a steering route, a VXLAN flood entry, an egress
// address or an ipset entry deleted by hand breaks egress, and the next sync (the periodic one comes every
// --sync-period even when nothing changed) puts it back. The canary only watches chains; these are caught by
// re-reading the node's routing state and the sets' census on every sync.
import { expect } from 'chai';
import {
  assertLabPrerequisites,
  createLab,
  uniquePrefix,
  type Lab,
  type LabNode,
} from '@egress-proxier/netlab';
import type { IptablesProxier } from '../src/proxier.js';
import { proxierFor, syncAll, tableFor, type LabPolicy } from './support/lab-cluster.js';

const EXTERNAL = '203.0.113.10';
const signal = new AbortController().signal;

describe('iptables backend repairs drift outside its chains within one sync (VXLAN, nft)', function () {
  this.timeout(60_000);
  let lab: Lab;
  const proxiers = new Map<LabNode, IptablesProxier>();

  before(async () => {
    await assertLabPrerequisites(['ipset', 'iptables-nft-restore', 'bridge', 'arping']);
    lab = await createLab({ prefix: uniquePrefix('iptd'), nodes: 2, podsPerNode: 1, externals: [EXTERNAL] });
    for (const node of lab.nodes) proxiers.set(node, await proxierFor(lab, node, { steering: 'vxlan' }));
    await syncAll(lab, proxiers, [db()]);
  });
  after(async () => {
    for (const proxier of proxiers.values()) await proxier.settled();
    await lab?.destroy();
  });

  const db = (): LabPolicy => ({
    name: 'db',
    pods: [lab.pod(1, 1), lab.pod(2, 1)],
    egress: [{ ip: '192.0.2.100', gateway: lab.node(1) }],
  });

  /** Breaks something on `node` by hand, checks the steered pod lost its egress IP, syncs, checks it is back. */
  async function repairedBySync(node: LabNode, command: string, args: string[], from = lab.pod(2, 1)) {
    expect(await lab.connectFrom(from, EXTERNAL), 'before').to.equal('192.0.2.100');
    await lab.exec(node.namespace, command, args);
    const broken = await lab.connectFrom(from, EXTERNAL, undefined, 1500).catch(() => 'no connection');
    expect(broken, `broken by ${command} ${args.join(' ')}`).to.not.equal('192.0.2.100');
    const report = await proxiers.get(node)?.sync(tableFor(lab, node, [db()]), signal);
    expect(report?.changed, 'the sync repaired something').to.equal(true);
    expect(await lab.connectFrom(from, EXTERNAL), 'after one sync').to.equal('192.0.2.100');
    const again = await proxiers.get(node)?.sync(tableFor(lab, node, [db()]), signal);
    expect(again?.changed, 'and the next sync finds nothing to do').to.equal(false);
  }

  it('an ip rule deleted on the source node', async () => {
    await repairedBySync(lab.node(2), 'ip', ['rule', 'del', 'fwmark', '0x100/0x3f00', 'lookup', '7100']);
  });

  it('a steering route table flushed on the source node', async () => {
    await repairedBySync(lab.node(2), 'ip', ['route', 'flush', 'table', '7100']);
  });

  // These two do not break traffic at once (the tunnel's learned entry to the gateway's MAC carries on; the
  // neighbours' ARP caches still point at the gateway, and conntrack reverses the SNAT either way), but would
  // at the next ARP or failover: the kernel state is what is checked.
  it('the flood entry toward the gateway deleted from the VXLAN device', async () => {
    const node = lab.node(2);
    const gateway = lab.node(1).ip;
    const floods = async () =>
      (await lab.exec(node.namespace, 'bridge', ['fdb', 'show', 'dev', 'egp-vx'])).stdout
        .split('\n')
        .filter((line) => line.startsWith('00:00:00:00:00:00') && line.includes(`dst ${gateway} `));
    expect(await floods(), 'before').to.have.length(1);
    await lab.exec(node.namespace, 'bridge', [
      'fdb',
      'del',
      '00:00:00:00:00:00',
      'dev',
      'egp-vx',
      'dst',
      gateway,
    ]);
    expect(await floods(), 'deleted').to.have.length(0);
    const report = await proxiers.get(node)?.sync(tableFor(lab, node, [db()]), signal);
    expect(report?.changed).to.equal(true);
    expect(await floods(), 'after one sync').to.have.length(1);
    expect(await lab.connectFrom(lab.pod(2, 1), EXTERNAL)).to.equal('192.0.2.100');
  });

  it('the egress address deleted from the gateway', async () => {
    const gateway = lab.node(1);
    const held = async () =>
      (await lab.exec(gateway.namespace, 'ip', ['-o', 'addr', 'show', 'dev', 'eth0'])).stdout.includes(
        '192.0.2.100/32',
      );
    await lab.exec(gateway.namespace, 'ip', ['addr', 'del', '192.0.2.100/32', 'dev', 'eth0']);
    expect(await held(), 'deleted').to.equal(false);
    const report = await proxiers.get(gateway)?.sync(tableFor(lab, gateway, [db()]), signal);
    expect(report?.changed).to.equal(true);
    expect(await held(), 'after one sync').to.equal(true);
    expect(await lab.connectFrom(lab.pod(2, 1), EXTERNAL)).to.equal('192.0.2.100');
  });

  it("a pod's entry deleted from the gateway's source set", async () => {
    const sets = await lab.exec(lab.node(1).namespace, 'ipset', ['list', '-n']);
    const sourceSet = sets.stdout.split('\n').find((name) => name.startsWith('EGP-S-')) ?? '';
    await repairedBySync(lab.node(1), 'ipset', ['del', sourceSet, lab.pod(1, 1).ip], lab.pod(1, 1));
  });
});
