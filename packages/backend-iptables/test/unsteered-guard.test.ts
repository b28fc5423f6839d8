// The unsteered guard, traced on a source node: NAT is decided by a connection's first packet, so a connection
// that started steered (exempt from masquerade) would leave with the pod's own address once its steering goes
// — a retransmitted SYN or any packet of an established connection. The conformance suite saw it
// (`transitions-no-wrong-source`: the pod IP at the external server while a policy was deleted).
import type { RenderedDatapath } from '@egress-proxier/core';
import { expect } from 'chai';
import plugin from '../src/index.js';
import { CLUSTER, table } from './support/cluster-tables.js';
import { NodeTracer } from './support/packet-tracer.js';

/** node-a steers db's pod 10.244.1.2 to node-b with mark 0x100 (slot 0); then `db` is deleted. */
const STEERING = CLUSTER['node-a'];
const AFTER_DELETE = table('node-a', {
  sets: STEERING.sourceSets.filter((set) => !set.id.startsWith('db/')),
  rules: STEERING.rules.filter((rule) => rule.policy !== 'db'),
});
const DB_POD = { src: '10.244.1.2', dst: '203.0.113.5' };
const options = { uplink: 'eth0' };

describe('unsteered guard, traced on a source node', () => {
  it('a connection steered before, whose steering went, is dropped, not let out with the pod address', () => {
    const tracer = new NodeTracer(plugin.render(AFTER_DELETE, options));
    expect(tracer.trace({ ...DB_POD, state: 'established', connmark: 0x100 }).kind).to.equal('dropped');
  });

  it('a connection never steered is not its business; a new one is masqueraded as before', () => {
    const tracer = new NodeTracer(plugin.render(AFTER_DELETE, options));
    expect(tracer.trace({ ...DB_POD, state: 'established', connmark: 0 }).kind).to.equal('forwarded');
    expect(tracer.trace(DB_POD).kind).to.equal('untouched');
  });

  it('a connection still steered goes on to its gateway, and its first packet records the mark', () => {
    const tracer = new NodeTracer(plugin.render(STEERING, options));
    expect(tracer.trace({ ...DB_POD, state: 'established', connmark: 0x100 }).kind).to.equal('steered');
    expect(tracer.trace(DB_POD).kind).to.equal('steered');
  });

  it('negative control: without the guard the packet passes our chains and leaves unNATed', () => {
    const tracer = new NodeTracer(withoutGuard(plugin.render(AFTER_DELETE, options)));
    expect(tracer.trace({ ...DB_POD, state: 'established', connmark: 0x100 }).kind).to.equal('forwarded');
  });
});

function withoutGuard(rendered: RenderedDatapath): RenderedDatapath {
  return {
    sections: rendered.sections.map((section) => ({
      ...section,
      content: section.content
        .split('\n')
        .filter((line) => !line.includes('steered connection no longer steered'))
        .join('\n'),
    })),
  };
}
