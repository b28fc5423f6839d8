// One conversion for files (render refuses problems) and the API (the agent keeps what it can read).
import { expect } from 'chai';
import { slimNodeFrom, slimPodFrom } from '../src/cluster/from-kubernetes.js';

describe('Kubernetes objects to slim objects', () => {
  it('converts a pod, canonicalising and de-duplicating its addresses', () => {
    const result = slimPodFrom({
      metadata: { name: 'api', namespace: 'pay', labels: { app: 'api' } },
      spec: { nodeName: 'node-a' },
      status: {
        phase: 'Running',
        podIP: '2001:DB8::1',
        podIPs: [{ ip: '2001:db8:0::1' }, { ip: '10.244.0.7' }],
      },
    });
    expect(result).to.deep.equal({
      problems: [],
      value: {
        namespace: 'pay',
        name: 'api',
        labels: { app: 'api' },
        nodeName: 'node-a',
        hostNetwork: false,
        phase: 'Running',
        podIPs: ['2001:db8::1', '10.244.0.7'],
      },
    });
  });

  it('keeps what it can read and lists the rest with field paths', () => {
    const result = slimPodFrom({
      metadata: { name: 'x' },
      status: { phase: 'Exploded', podIPs: [{ ip: 'nope' }, { ip: '10.244.0.8' }] },
    });
    expect(result.value.podIPs).to.deep.equal(['10.244.0.8']);
    expect(result.value.phase).to.equal('Pending');
    expect(result.value.namespace).to.equal('default');
    expect(result.problems.map((p) => p.path)).to.deep.equal(['status.phase', 'status.podIPs[0].ip']);
  });

  it('reads node readiness, InternalIPs and pod CIDRs', () => {
    const result = slimNodeFrom({
      metadata: { name: 'n', labels: { a: 'b' } },
      spec: { podCIDR: '10.244.1.0/24' },
      status: {
        conditions: [{ type: 'Ready', status: 'False' }],
        addresses: [
          { type: 'Hostname', address: 'n' },
          { type: 'InternalIP', address: '192.0.2.5' },
        ],
      },
    });
    expect(result).to.deep.equal({
      problems: [],
      value: {
        name: 'n',
        labels: { a: 'b' },
        ready: false,
        internalIPs: ['192.0.2.5'],
        podCIDRs: ['10.244.1.0/24'],
      },
    });
  });
});
