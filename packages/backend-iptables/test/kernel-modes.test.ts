// The legacy iptables flavour on a real kernel, detected automatically from the CNI's rules.
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

const signal = new AbortController().signal;

function policy(lab: Lab): LabPolicy {
  return {
    name: 'db',
    pods: [lab.pod(1, 1), lab.pod(2, 1)],
    egress: [{ ip: '192.0.2.100', gateway: lab.node(1) }],
  };
}

describe('iptables backend on a real kernel: legacy iptables host', function () {
  this.timeout(60_000);
  let lab: Lab;
  const proxiers = new Map<LabNode, IptablesProxier>();
  const snapshots: string[] = [];

  before(async () => {
    await assertLabPrerequisites(['ipset', 'iptables-legacy-restore', 'iptables-nft-save', 'arping']);
    lab = await createLab({
      prefix: uniquePrefix('iptl'),
      nodes: 2,
      podsPerNode: 1,
      iptablesFlavour: 'legacy',
    });
    for (const node of lab.nodes) {
      snapshots.push(await kernelSnapshot(lab, node, 'legacy'));
      proxiers.set(node, await proxierFor(lab, node));
    }
  });
  after(async () => {
    for (const proxier of proxiers.values()) await proxier.settled();
    await lab?.destroy();
  });

  it('detects the legacy flavour from the CNI rules and programs it', async () => {
    await syncAll(lab, proxiers, [policy(lab)]);
    const legacy = await lab.exec(lab.node(1).namespace, 'iptables-legacy-save', ['-t', 'nat']);
    expect(legacy.stdout.split('\n')[0]).to.match(/^# Generated/);
    expect(legacy.stdout).to.match(
      /^-A POSTROUTING .*-j EGRESS-PROXIER-POSTROUTING\n-A POSTROUTING .*MASQUERADE/m,
    );
    const nft = await lab.exec(lab.node(1).namespace, 'iptables-nft-save', []);
    expect(nft.stdout).to.not.include('EGRESS-PROXIER');
    expect(await lab.connectFrom(lab.pod(1, 1), '198.51.100.10')).to.equal('192.0.2.100');
    expect(await lab.connectFrom(lab.pod(2, 1), '198.51.100.10')).to.equal('192.0.2.100');
  });

  it('cleans up the legacy rules exactly', async () => {
    for (const [index, node] of lab.nodes.entries()) {
      await proxiers.get(node)?.cleanup(signal);
      expect(await kernelSnapshot(lab, node, 'legacy')).to.equal(snapshots[index]);
    }
  });
});
