// VXLAN steering on a real kernel: pods on other nodes reach the gateway through the egp-vx tunnel and leave
// as the egress IP, and bulk uploads through the tunnel complete thanks to MSS clamping. The source nodes drop
// the ICMP "fragmentation needed" they generate, as many clouds and firewalls do (a PMTU black hole): without
// clamping, the pod never learns that the tunnel is 50 bytes narrower and its full-size segments vanish.
import { expect } from 'chai';
import {
  assertLabPrerequisites,
  createLab,
  uniquePrefix,
  type Lab,
  type LabNode,
} from '@egress-proxier/netlab';
import type { IptablesProxier } from '../src/proxier.js';
import { kernelSnapshot, proxierFor, syncAll, type LabPolicy } from './support/lab-cluster.js';

const EXTERNAL = '203.0.113.10';
const UPLOAD_BYTES = 2 * 1024 * 1024;
const VXLAN = { steering: 'vxlan' };
const signal = new AbortController().signal;

describe('iptables backend on a real kernel (VXLAN steering, nft)', function () {
  this.timeout(60_000);
  let lab: Lab;
  const proxiers = new Map<LabNode, IptablesProxier>();
  const snapshots: string[] = [];

  before(async () => {
    await assertLabPrerequisites(['ipset', 'iptables-nft-restore', 'bridge', 'arping']);
    lab = await createLab({ prefix: uniquePrefix('iptv'), nodes: 3, podsPerNode: 2, externals: [EXTERNAL] });
    for (const node of lab.nodes.slice(1)) {
      await lab.exec(node.namespace, 'iptables-nft', [
        '-A',
        'OUTPUT',
        '-p',
        'icmp',
        '--icmp-type',
        'fragmentation-needed',
        '-j',
        'DROP',
      ]);
    }
    for (const node of lab.nodes) {
      snapshots.push(await kernelSnapshot(lab, node, 'nft'));
      proxiers.set(node, await proxierFor(lab, node, VXLAN));
    }
  });
  after(async () => {
    for (const proxier of proxiers.values()) await proxier.settled();
    await lab?.destroy();
  });

  const db = (): LabPolicy => ({
    name: 'db',
    pods: [lab.pod(1, 1), lab.pod(2, 1), lab.pod(2, 2), lab.pod(3, 1)],
    egress: [{ ip: '192.0.2.100', gateway: lab.node(1) }],
  });

  it('gives pods on the gateway and pods steered through the tunnel the egress IP', async () => {
    await syncAll(lab, proxiers, [db()]);
    expect(await lab.connectFrom(lab.pod(1, 1), EXTERNAL)).to.equal('192.0.2.100');
    expect(await lab.connectFrom(lab.pod(2, 1), EXTERNAL)).to.equal('192.0.2.100');
    expect(await lab.connectFrom(lab.pod(3, 1), EXTERNAL)).to.equal('192.0.2.100');
    expect(await lab.connectFrom(lab.pod(3, 2), EXTERNAL), 'unselected pod').to.equal('192.0.2.13');
  });

  it('really sends steered packets through the tunnel, none dropped as a circular route', async () => {
    const gateway = await deviceCounters(lab, lab.node(1));
    const source = await deviceCounters(lab, lab.node(3));
    await lab.connectFrom(lab.pod(3, 1), EXTERNAL);
    const gatewayAfter = await deviceCounters(lab, lab.node(1));
    const sourceAfter = await deviceCounters(lab, lab.node(3));
    expect(gatewayAfter.rxPackets - gateway.rxPackets, 'decapsulated on the gateway').to.be.at.least(3);
    expect(sourceAfter.txPackets - source.txPackets, 'sent into the tunnel').to.be.at.least(3);
    expect(sourceAfter.collisions, 'circular-route drops on the source node').to.equal(0);
  });

  it('completes a 2 MiB upload from a steered pod through the tunnel (MSS clamped)', async () => {
    const result = await lab.send(lab.pod(2, 1), EXTERNAL, UPLOAD_BYTES, undefined, 15_000);
    expect(result).to.deep.equal({ source: '192.0.2.100', bytes: UPLOAD_BYTES });
  });

  it('stalls the same upload when the clamping rules are removed (PMTU black hole)', async () => {
    for (const node of lab.nodes) {
      await lab.exec(node.namespace, 'iptables-nft', ['-t', 'mangle', '-F', 'EGRESS-PROXIER-MSS']);
    }
    let failure: unknown;
    await lab
      .send(lab.pod(2, 2), EXTERNAL, UPLOAD_BYTES, undefined, 5000)
      .catch((error: unknown) => (failure = error));
    expect(String(failure)).to.match(/timed out/);
    // A restarted agent reads the kernel and rewrites the chains it finds changed.
    for (const node of lab.nodes) {
      const fresh = await proxierFor(lab, node, VXLAN);
      proxiers.set(node, fresh);
    }
    await syncAll(lab, proxiers, [db()]);
    const result = await lab.send(lab.pod(2, 2), EXTERNAL, UPLOAD_BYTES, undefined, 15_000);
    expect(result.bytes).to.equal(UPLOAD_BYTES);
  });

  it('moves the steering to another gateway, replacing the tunnel exemption', async () => {
    const moved: LabPolicy = { ...db(), egress: [{ ip: '192.0.2.100', gateway: lab.node(2) }] };
    await syncAll(lab, proxiers, [moved]);
    expect(await lab.connectFrom(lab.pod(1, 1), EXTERNAL)).to.equal('192.0.2.100');
    expect(await lab.connectFrom(lab.pod(3, 1), EXTERNAL)).to.equal('192.0.2.100');
    const routes = await lab.exec(lab.node(3).namespace, 'ip', ['-4', 'route', 'show', 'table', 'all']);
    expect(routes.stdout).to.include('throw 192.0.2.12').and.not.include('throw 192.0.2.11');
  });

  it('cleanup removes the tunnel and everything else of ours, and nothing else', async () => {
    for (const [index, node] of lab.nodes.entries()) {
      await proxiers.get(node)?.cleanup(signal);
      expect(await kernelSnapshot(lab, node, 'nft')).to.equal(snapshots[index]);
    }
  });
});

interface DeviceCounters {
  rxPackets: number;
  txPackets: number;
  collisions: number;
}

async function deviceCounters(lab: Lab, node: LabNode): Promise<DeviceCounters> {
  const shown = await lab.exec(node.namespace, 'ip', ['-j', '-s', 'link', 'show', 'dev', 'egp-vx']);
  const [link] = JSON.parse(shown.stdout) as {
    stats64?: { rx?: { packets?: number }; tx?: { packets?: number; collisions?: number } };
  }[];
  const stats = link?.stats64;
  if (stats?.rx?.packets === undefined || stats.tx?.packets === undefined) {
    throw new Error(`no counters for egp-vx on ${node.name}: ${shown.stdout}`);
  }
  return { rxPackets: stats.rx.packets, txPackets: stats.tx.packets, collisions: stats.tx.collisions ?? 0 };
}
