// The steered-in guard, traced: a node drops new connections steered to it that it does not SNAT, instead of
// letting the CNI masquerade them with its node IP; established packets and local pods' traffic pass it.
import type { RenderedDatapath } from '@egress-proxier/core';
import { expect } from 'chai';
import plugin from '../src/index.js';
import { CLUSTER } from './support/cluster-tables.js';
import { NodeTracer, POD_BRIDGE, type Packet, type Verdict } from './support/packet-tracer.js';

/** node-b hosts 192.0.2.100 for db's pods 10.244.1.2 and 10.244.3.2; 10.244.1.7 is in no policy. */
const GATEWAY = CLUSTER['node-b'];

const cases: { name: string; packet: Packet; verdict: Verdict['kind'] }[] = [
  {
    name: 'a new connection steered in from a pod the gateway SNATs is SNATed',
    packet: { src: '10.244.1.2', dst: '203.0.113.5', inInterface: 'eth0' },
    verdict: 'snat',
  },
  {
    name: 'a new connection steered in from a pod the gateway does not know is dropped',
    packet: { src: '10.244.1.7', dst: '203.0.113.5', inInterface: 'eth0' },
    verdict: 'dropped',
  },
  {
    name: 'a steered-in pod toward a destination its policy does not cover is dropped',
    packet: { src: '10.244.1.2', dst: '198.51.100.7', inInterface: 'eth0' },
    verdict: 'dropped',
  },
  {
    name: 'an established steered-in connection is not the guard’s business',
    packet: { src: '10.244.1.7', dst: '203.0.113.5', inInterface: 'eth0', state: 'established' },
    verdict: 'forwarded',
  },
  {
    name: 'a local pod in no policy is left to the CNI',
    packet: { src: '10.244.2.7', dst: '203.0.113.5', inInterface: POD_BRIDGE },
    verdict: 'untouched',
  },
  {
    name: 'traffic from outside the cluster arriving on the uplink is left alone',
    packet: { src: '198.51.100.7', dst: '203.0.113.5', inInterface: 'eth0' },
    verdict: 'untouched',
  },
  {
    name: 'pod-to-pod traffic arriving on the uplink is left alone',
    packet: { src: '10.244.1.7', dst: '10.244.2.3', inInterface: 'eth0' },
    verdict: 'untouched',
  },
];

describe('steered-in guard, traced', () => {
  for (const steering of ['onlink', 'vxlan'] as const) {
    describe(`steering ${steering}`, () => {
      const tracer = new NodeTracer(plugin.render(GATEWAY, { uplink: 'eth0', steering }));
      const device = steering === 'vxlan' ? 'egp-vx' : 'eth0';
      for (const { name, packet, verdict } of cases) {
        it(name, () => {
          const arriving = packet.inInterface === 'eth0' ? { ...packet, inInterface: device } : packet;
          expect(tracer.trace(arriving).kind).to.equal(verdict);
        });
      }
    });
  }

  it('VXLAN mode guards the uplink too', () => {
    const tracer = new NodeTracer(plugin.render(GATEWAY, { uplink: 'eth0', steering: 'vxlan' }));
    expect(tracer.trace({ src: '10.244.1.7', dst: '203.0.113.5', inInterface: 'eth0' }).kind).to.equal(
      'dropped',
    );
  });

  it('negative control: without the guard, the same packet would be masqueraded with the node IP', () => {
    const unguarded = withoutLines(
      plugin.render(GATEWAY, { uplink: 'eth0' }),
      '-j EGRESS-PROXIER-STEERED-IN',
    );
    const tracer = new NodeTracer(unguarded);
    expect(tracer.trace({ src: '10.244.1.7', dst: '203.0.113.5', inInterface: 'eth0' }).kind).to.equal(
      'untouched',
    );
  });

  it('the tracer refuses a conntrack state it cannot evaluate', () => {
    const rendered = plugin.render(GATEWAY, { uplink: 'eth0' });
    const broken = {
      sections: rendered.sections.map((section) => ({
        ...section,
        content: section.content.replace('--ctstate NEW', '--ctstate-typo NEW'),
      })),
    };
    expect(() => new NodeTracer(broken)).to.throw(/bad conntrack match/);
  });
});

function withoutLines(rendered: RenderedDatapath, marker: string): RenderedDatapath {
  return {
    sections: rendered.sections.map((section) => ({
      ...section,
      content: section.content
        .split('\n')
        .filter((line) => !line.includes(marker))
        .join('\n'),
    })),
  };
}
