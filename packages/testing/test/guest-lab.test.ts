// netlab inside the guest kernel, unchanged: createLab with guestLabHost builds its namespaces there, and
// a pod's connection to an external server carries the node's IP (the CNI masquerade), as on the host.
import { expect } from 'chai';
import { createLab, uniquePrefix, type Lab } from '@egress-proxier/netlab';
import { GuestMachine, guestExec, guestLabHost } from '../src/guest/index.js';

describe('netlab in the guest kernel', function () {
  this.timeout(300_000);
  let machine: GuestMachine;
  let lab: Lab;

  before(async () => {
    machine = await GuestMachine.boot({ name: 'guest-lab-test' });
    const started = performance.now();
    lab = await createLab({
      prefix: uniquePrefix('glab'),
      nodes: 2,
      podsPerNode: 1,
      host: guestLabHost(machine),
    });
    console.log(
      `      boot ${machine.bootMs} ms; lab of 2 nodes, 2 pods, 2 externals ${Math.round(performance.now() - started)} ms`,
    );
  });
  after(async () => {
    await lab?.destroy();
    await machine?.shutdown();
  });

  it('carries a pod → external connection with the node IP as its source (the CNI masquerade)', async () => {
    let started = performance.now();
    expect(await lab.connectFrom(lab.pod(1, 1), '198.51.100.10')).to.equal('192.0.2.11');
    const first = performance.now() - started;
    started = performance.now();
    expect(await lab.connectFrom(lab.pod(1, 1), '203.0.113.10')).to.equal('192.0.2.11');
    const next = performance.now() - started;
    expect(await lab.send(lab.pod(2, 1), '198.51.100.10', 1024 * 1024)).to.deep.equal({
      source: '192.0.2.12',
      bytes: 1024 * 1024,
    });
    console.log(
      `      first connection from a pod ${Math.round(first)} ms (its probe agent starts), next ${Math.round(next)} ms`,
    );
  });

  it("runs the lab's namespaces on the guest's kernel, with IPVS there", async () => {
    const node = lab.node(1).namespace;
    expect((await lab.exec(node, 'uname', ['-r'])).stdout.trim()).to.equal(machine.release);
    const exec = guestExec(machine, node);
    await exec.run({ command: 'ipvsadm', args: ['-A', '-f', '1', '-s', 'mh'] });
    expect((await exec.run({ command: 'ipvsadm', args: ['-S', '-n'] })).stdout).to.equal('-A -f 1 -s mh\n');
    const rules = await exec.run({ command: 'iptables-nft-save', args: ['-t', 'nat'] });
    expect(rules.stdout).to.include('netlab CNI masquerade');
  });

  it('destroy removes every namespace it created in the guest', async () => {
    await lab.destroy();
    const listed = await machine.run('ip', ['netns', 'list']);
    expect(listed.stdout).to.not.include(lab.prefix);
  });
});
