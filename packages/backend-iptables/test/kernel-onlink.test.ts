// Real kernel, real TCP: lab namespaces, iptables proxiers in each node, external servers reporting the
// source they see. Needs root, iproute2, iptables, ipset; fails with a clear message without them.
import { expect } from 'chai';
import {
  assertLabPrerequisites,
  createLab,
  uniquePrefix,
  type Lab,
  type LabNode,
} from '@egress-proxier/netlab';
import type { IptablesProxier } from '../src/proxier.js';
import { kernelSnapshot, proxierFor, syncAll, tableFor, type LabPolicy } from './support/lab-cluster.js';

const EXTERNALS = ['198.51.100.10', '203.0.113.10', '203.0.113.200'];
const signal = new AbortController().signal;

describe('iptables backend on a real kernel (on-link steering, nft)', function () {
  this.timeout(60_000);
  let lab: Lab;
  const proxiers = new Map<LabNode, IptablesProxier>();
  const snapshots: string[] = [];

  before(async () => {
    await assertLabPrerequisites(['ipset', 'iptables-nft-restore', 'arping']);
    lab = await createLab({ prefix: uniquePrefix('iptk'), nodes: 3, podsPerNode: 2, externals: EXTERNALS });
    // A foreign rule cleanup must leave alone.
    await lab.exec(lab.node(1).namespace, 'iptables-nft', [
      '-t',
      'filter',
      '-A',
      'FORWARD',
      '-s',
      '10.9.9.9',
      '-j',
      'ACCEPT',
    ]);
    for (const node of lab.nodes) {
      snapshots.push(await kernelSnapshot(lab, node, 'nft'));
      proxiers.set(node, await proxierFor(lab, node));
    }
  });
  after(async () => {
    for (const proxier of proxiers.values()) await proxier.settled();
    await lab?.destroy();
  });

  const db = (): LabPolicy => ({
    name: 'db',
    pods: [lab.pod(1, 1), lab.pod(2, 1), lab.pod(3, 1)],
    egress: [{ ip: '192.0.2.100', gateway: lab.node(1) }],
    destination: '203.0.113.0/24',
    excluded: ['203.0.113.128/25'],
  });
  const web = (): LabPolicy => ({
    name: 'web',
    pods: [lab.pod(1, 1), lab.pod(2, 1)],
    egress: [{ ip: '192.0.2.101', gateway: lab.node(2) }],
    destination: '198.51.100.0/24',
  });

  it('gives pods on the gateway and pods on other nodes (steered) the egress IP', async () => {
    await syncAll(lab, proxiers, [db()]);
    expect(await lab.connectFrom(lab.pod(1, 1), '203.0.113.10')).to.equal('192.0.2.100');
    expect(await lab.connectFrom(lab.pod(2, 1), '203.0.113.10')).to.equal('192.0.2.100');
    expect(await lab.connectFrom(lab.pod(3, 1), '203.0.113.10')).to.equal('192.0.2.100');
    expect(await lab.connectFrom(lab.pod(3, 2), '203.0.113.10'), 'unselected pod').to.equal('192.0.2.13');
  });

  it('leaves excluded destinations and other destinations to the CNI (node IP)', async () => {
    expect(await lab.connectFrom(lab.pod(2, 1), '203.0.113.200')).to.equal('192.0.2.12');
    expect(await lab.connectFrom(lab.pod(2, 1), '198.51.100.10')).to.equal('192.0.2.12');
  });

  it('uses different egress IPs for different destinations (two policies)', async () => {
    await syncAll(lab, proxiers, [db(), web()]);
    expect(await lab.connectFrom(lab.pod(1, 1), '198.51.100.10')).to.equal('192.0.2.101');
    expect(await lab.connectFrom(lab.pod(1, 1), '203.0.113.10')).to.equal('192.0.2.100');
    expect(await lab.connectFrom(lab.pod(2, 1), '198.51.100.10')).to.equal('192.0.2.101');
    expect(await lab.connectFrom(lab.pod(2, 1), '203.0.113.10')).to.equal('192.0.2.100');
  });

  it('does not SNAT pod-to-pod or pod-to-node traffic', async () => {
    await lab.startServer(lab.pod(2, 2).namespace, 9100);
    await lab.startServer(lab.node(3).namespace, 9101);
    expect(await lab.connectFrom(lab.pod(1, 1), lab.pod(2, 2).ip, 9100)).to.equal(lab.pod(1, 1).ip);
    // To a node the CNI's own rule applies (the lab's masquerade), never an egress IP.
    expect(await lab.connectFrom(lab.pod(1, 1), lab.node(3).ip, 9101)).to.equal('192.0.2.11');
  });

  it('spreads pods over several egress IPs on different gateways', async () => {
    const spread: LabPolicy = {
      name: 'spread',
      pods: [lab.pod(1, 2), lab.pod(2, 2), lab.pod(3, 2)],
      egress: [
        { ip: '192.0.2.110', gateway: lab.node(3) },
        { ip: '192.0.2.111', gateway: lab.node(1) },
      ],
    };
    await syncAll(lab, proxiers, [db(), spread]);
    expect(await lab.connectFrom(lab.pod(1, 2), '198.51.100.10')).to.equal('192.0.2.110');
    expect(await lab.connectFrom(lab.pod(2, 2), '198.51.100.10')).to.equal('192.0.2.111');
    expect(await lab.connectFrom(lab.pod(3, 2), '198.51.100.10')).to.equal('192.0.2.110');
  });

  it('drops traffic of a FailClosed policy without gateway and leaves FailOpen traffic with the node IP', async () => {
    await syncAll(lab, proxiers, [
      { name: 'closed', pods: [lab.pod(2, 1)], egress: 'drop', destination: '198.51.100.0/24' },
      { name: 'open', pods: [lab.pod(3, 1)], egress: 'bypass', destination: '203.0.113.0/24' },
      db(),
    ]);
    let failure: unknown;
    await lab
      .connectFrom(lab.pod(2, 1), '198.51.100.10', undefined, 1000)
      .catch((error: unknown) => (failure = error));
    expect(String(failure)).to.match(/failed/);
    expect(await lab.connectFrom(lab.pod(2, 1), '203.0.113.10'), 'later rule still applies').to.equal(
      '192.0.2.100',
    );
    expect(await lab.connectFrom(lab.pod(3, 1), '203.0.113.10'), 'bypass stops evaluation').to.equal(
      '192.0.2.13',
    );
  });

  it('removes a pod from its set, then a whole policy: back to the node IP, entries gone', async () => {
    await syncAll(lab, proxiers, [{ ...db(), pods: [lab.pod(1, 1), lab.pod(3, 1)] }]);
    expect(await lab.connectFrom(lab.pod(2, 1), '203.0.113.10')).to.equal('192.0.2.12');
    const sets = await lab.exec(lab.node(1).namespace, 'ipset', ['save']);
    expect(sets.stdout).to.include(lab.pod(3, 1).ip).and.not.include(lab.pod(2, 1).ip);
    await syncAll(lab, proxiers, []);
    expect(await lab.connectFrom(lab.pod(1, 1), '203.0.113.10')).to.equal('192.0.2.11');
    const addresses = await lab.exec(lab.node(1).namespace, 'ip', ['-o', 'addr', 'show', 'dev', 'eth0']);
    expect(addresses.stdout).to.not.include('192.0.2.100');
  });

  it('applies nothing when nothing changed', async () => {
    await syncAll(lab, proxiers, [db()]);
    const report = await proxiers.get(lab.node(2))?.sync(tableFor(lab, lab.node(2), [db()]), signal);
    expect(report?.changed).to.equal(false);
  });

  it('repairs chains flushed by hand on the next sync (canary)', async () => {
    const gateway = lab.node(1);
    for (const chain of ['EGRESS-PROXIER-POSTROUTING', 'EGRESS-PROXIER-CANARY']) {
      await lab.exec(gateway.namespace, 'iptables-nft', ['-t', 'nat', '-F', chain]);
    }
    expect(await lab.connectFrom(lab.pod(1, 1), '203.0.113.10'), 'broken by the flush').to.equal(
      '192.0.2.11',
    );
    const report = await proxiers.get(gateway)?.sync(tableFor(lab, gateway, [db()]), signal);
    expect(report?.changed).to.equal(true);
    expect(await lab.connectFrom(lab.pod(1, 1), '203.0.113.10')).to.equal('192.0.2.100');
  });

  it('moves our nat jump back to the top when a masquerade was inserted before it', async () => {
    const gateway = lab.node(1);
    await lab.exec(gateway.namespace, 'iptables-nft', [
      '-t',
      'nat',
      '-I',
      'POSTROUTING',
      '1',
      '-s',
      '10.244.0.0/16',
      '!',
      '-d',
      '10.244.0.0/16',
      '-j',
      'MASQUERADE',
    ]);
    await proxiers.get(gateway)?.sync(tableFor(lab, gateway, [db()]), signal);
    expect(await lab.connectFrom(lab.pod(1, 1), '203.0.113.10')).to.equal('192.0.2.100');
    await lab.exec(gateway.namespace, 'iptables-nft', [
      '-t',
      'nat',
      '-D',
      'POSTROUTING',
      '-s',
      '10.244.0.0/16',
      '!',
      '-d',
      '10.244.0.0/16',
      '-j',
      'MASQUERADE',
    ]);
  });

  it('a restarted agent (new proxier, same kernel) adopts the state without a failed connection', async () => {
    const pod = lab.pod(2, 1);
    let failures = 0;
    let connections = 0;
    let running = true;
    const loop = (async () => {
      while (running) {
        const source = await lab.connectFrom(pod, '203.0.113.10', undefined, 2000).catch(() => 'failed');
        connections++;
        if (source !== '192.0.2.100') failures++;
      }
    })();
    for (const node of lab.nodes) {
      const fresh = await proxierFor(lab, node);
      await fresh.sync(tableFor(lab, node, [db()]), signal);
      proxiers.set(node, fresh);
    }
    running = false;
    await loop;
    expect(connections).to.be.greaterThan(0);
    expect(failures).to.equal(0);
  });

  it('lets egress addresses expire by themselves when heartbeats stop', async () => {
    const gateway = lab.node(1);
    await proxiers.get(gateway)?.heartbeat?.(3, signal);
    const held = await lab.exec(gateway.namespace, 'ip', ['-o', 'addr', 'show', 'dev', 'eth0']);
    expect(held.stdout).to.match(/192\.0\.2\.100\/32 .*valid_lft [1-3]sec/);
    await new Promise((resolve) => setTimeout(resolve, 5000));
    const after = await lab.exec(gateway.namespace, 'ip', ['-o', 'addr', 'show', 'dev', 'eth0']);
    expect(after.stdout).to.not.include('192.0.2.100');
  });

  it('cleanup removes everything of ours and nothing else', async () => {
    await syncAll(lab, proxiers, [db(), web()]);
    for (const [index, node] of lab.nodes.entries()) {
      await proxiers.get(node)?.cleanup(signal);
      expect(await kernelSnapshot(lab, node, 'nft')).to.equal(snapshots[index]);
    }
    const foreign = await lab.exec(lab.node(1).namespace, 'iptables-nft', ['-S', 'FORWARD']);
    expect(foreign.stdout).to.include('-A FORWARD -s 10.9.9.9/32 -j ACCEPT');
  });
});
