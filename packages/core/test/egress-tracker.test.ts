// The tracker follows pods, namespaces and policies incrementally; checked against the obvious
// from-scratch answer after each event.
import { expect } from 'chai';
import { EgressTracker } from '../src/tracker/egress-tracker.js';
import { compileLabelSelector } from '../src/selectors/label-selector.js';
import { namespace, pod } from './support/builders.js';

const policy = (name: string, ns: Record<string, string> | null, pods: Record<string, string> | null) => ({
  name,
  namespaceSelector: ns ? compileLabelSelector({ matchLabels: ns }) : null,
  podSelector: pods ? compileLabelSelector({ matchLabels: pods }) : null,
});

const selected = (tracker: EgressTracker, name: string) => [...tracker.podsSelectedBy(name)].sort();

describe('EgressTracker', () => {
  describe('pod eligibility', () => {
    const cases = [
      { name: 'running, scheduled, addressed pod counts', fields: {}, counts: true },
      { name: 'pending pod with an address counts', fields: { phase: 'Pending' as const }, counts: true },
      { name: 'unscheduled pod does not', fields: { nodeName: '' }, counts: false },
      { name: 'hostNetwork pod does not', fields: { hostNetwork: true }, counts: false },
      { name: 'succeeded pod does not', fields: { phase: 'Succeeded' as const }, counts: false },
      { name: 'failed pod does not', fields: { phase: 'Failed' as const }, counts: false },
      { name: 'pod without addresses does not', fields: { podIPs: [] }, counts: false },
      { name: 'unknown phase still sends', fields: { phase: 'Unknown' as const }, counts: true },
    ];
    for (const testCase of cases) {
      it(testCase.name, () => {
        const tracker = new EgressTracker();
        tracker.upsertPolicy(policy('p', null, {}));
        tracker.upsertPod(pod('ns', 'x', { podIPs: ['10.244.1.2'], ...testCase.fields }));
        expect(selected(tracker, 'p')).to.deep.equal(testCase.counts ? ['ns/x'] : []);
      });
    }
  });

  it('re-evaluates the pods of a namespace whose labels change', () => {
    const tracker = new EgressTracker();
    tracker.upsertNamespace(namespace('payments', { team: 'a' }));
    tracker.upsertPod(pod('payments', 'api', { podIPs: ['10.244.1.2'] }));
    tracker.upsertPolicy(policy('p', { team: 'b' }, null));
    expect(selected(tracker, 'p')).to.deep.equal([]);
    tracker.upsertNamespace(namespace('payments', { team: 'b' }));
    expect(selected(tracker, 'p')).to.deep.equal(['payments/api']);
    expect([...tracker.policiesSelecting('payments/api')]).to.deep.equal(['p']);
    tracker.upsertNamespace(namespace('payments', { team: 'c' }));
    expect(selected(tracker, 'p')).to.deep.equal([]);
    expect([...tracker.policiesSelecting('payments/api')]).to.deep.equal([]);
  });

  it('uses the automatic name label for a namespace it has not seen yet', () => {
    const tracker = new EgressTracker();
    tracker.upsertPolicy(policy('p', { 'kubernetes.io/metadata.name': 'payments' }, null));
    tracker.upsertPod(pod('payments', 'api', { podIPs: ['10.244.1.2'] }));
    expect(selected(tracker, 'p')).to.deep.equal(['payments/api']);
  });

  it('moves a pod in and out on a label change', () => {
    const tracker = new EgressTracker();
    tracker.upsertPolicy(policy('p', null, { app: 'db' }));
    tracker.upsertPod(pod('ns', 'x', { podIPs: ['10.244.1.2'], labels: { app: 'web' } }));
    expect(selected(tracker, 'p')).to.deep.equal([]);
    tracker.upsertPod(pod('ns', 'x', { podIPs: ['10.244.1.2'], labels: { app: 'db' } }));
    expect(selected(tracker, 'p')).to.deep.equal(['ns/x']);
    tracker.upsertPod(pod('ns', 'x', { podIPs: ['10.244.1.2'], labels: {} }));
    expect(selected(tracker, 'p')).to.deep.equal([]);
  });

  it('combines namespace and pod selectors with AND', () => {
    const tracker = new EgressTracker();
    tracker.upsertNamespace(namespace('a', { team: 'x' }));
    tracker.upsertNamespace(namespace('b', { team: 'y' }));
    tracker.upsertPod(pod('a', 'db', { podIPs: ['10.244.1.2'], labels: { app: 'db' } }));
    tracker.upsertPod(pod('b', 'db', { podIPs: ['10.244.1.3'], labels: { app: 'db' } }));
    tracker.upsertPod(pod('a', 'web', { podIPs: ['10.244.1.4'], labels: { app: 'web' } }));
    tracker.upsertPolicy(policy('p', { team: 'x' }, { app: 'db' }));
    expect(selected(tracker, 'p')).to.deep.equal(['a/db']);
  });

  it('updates selections when a policy changes or goes away', () => {
    const tracker = new EgressTracker();
    tracker.upsertPod(pod('ns', 'x', { podIPs: ['10.244.1.2'], labels: { app: 'a' } }));
    tracker.upsertPod(pod('ns', 'y', { podIPs: ['10.244.1.3'], labels: { app: 'b' } }));
    tracker.upsertPolicy(policy('p', null, { app: 'a' }));
    expect(selected(tracker, 'p')).to.deep.equal(['ns/x']);
    tracker.upsertPolicy(policy('p', null, { app: 'b' }));
    expect(selected(tracker, 'p')).to.deep.equal(['ns/y']);
    expect([...tracker.policiesSelecting('ns/x')]).to.deep.equal([]);
    tracker.deletePolicy('p');
    expect(selected(tracker, 'p')).to.deep.equal([]);
    expect([...tracker.policiesSelecting('ns/y')]).to.deep.equal([]);
  });

  it('drops deleted pods from every index and says when an event changed nothing', () => {
    const tracker = new EgressTracker();
    tracker.upsertPolicy(policy('p', null, {}));
    const x = pod('ns', 'x', { podIPs: ['10.244.1.2'], nodeName: 'node-b' });
    expect(tracker.upsertPod(x)).to.equal(true);
    expect(tracker.upsertPod({ ...x, labels: {} }), 'same pod again').to.equal(false);
    expect(tracker.deletePod('ns', 'x')).to.equal(true);
    expect(tracker.deletePod('ns', 'x'), 'unknown pod').to.equal(false);
    expect(selected(tracker, 'p')).to.deep.equal([]);
    expect([...tracker.podsOnNode('node-b')]).to.deep.equal([]);
    expect(tracker.policiesSelecting('ns/x')).to.deep.equal([]);
    expect(tracker.upsertNamespace(namespace('ns'))).to.equal(true);
    expect(tracker.upsertNamespace(namespace('ns')), 'same labels').to.equal(false);
  });

  it('agrees with a from-scratch evaluation after a random event sequence', () => {
    let seed = 7;
    const random = (n: number) => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n;
    const tracker = new EgressTracker();
    const teams = ['a', 'b', 'c'];
    const apps = ['web', 'db', 'cache'];
    const policies = [
      policy('p1', { team: 'a' }, null),
      policy('p2', null, { app: 'db' }),
      policy('p3', { team: 'b' }, { app: 'web' }),
    ];
    const nsLabels = new Map<string, Record<string, string>>();
    const pods = new Map<string, ReturnType<typeof pod>>();
    for (const p of policies) tracker.upsertPolicy(p);
    for (let step = 0; step < 2000; step++) {
      const choice = random(10);
      const nsName = `ns${random(4)}`;
      if (choice < 2) {
        const labels = { 'kubernetes.io/metadata.name': nsName, team: teams[random(3)] as string };
        nsLabels.set(nsName, labels);
        tracker.upsertNamespace({ name: nsName, labels });
      } else if (choice === 2 && random(3) === 0) {
        nsLabels.delete(nsName);
        tracker.deleteNamespace(nsName);
      } else if (choice === 2) {
        const index = random(policies.length);
        const replaced = policy(
          `p${index + 1}`,
          random(2) ? { team: teams[random(3)] as string } : null,
          random(2) ? { app: apps[random(3)] as string } : null,
        );
        policies[index] = replaced;
        tracker.upsertPolicy(replaced);
      } else if (choice < 8) {
        const p = pod(nsName, `pod${random(20)}`, {
          podIPs: ['10.244.0.1'],
          labels: { app: apps[random(3)] as string },
          phase: random(5) === 0 ? 'Failed' : 'Running',
        });
        pods.set(`${p.namespace}/${p.name}`, p);
        tracker.upsertPod(p);
      } else {
        const key = [...pods.keys()][random(Math.max(pods.size, 1))];
        if (key) {
          const [ns, name] = key.split('/') as [string, string];
          pods.delete(key);
          tracker.deletePod(ns, name);
        }
      }
    }
    for (const p of policies) {
      const expected = [...pods.values()]
        .filter((x) => x.phase !== 'Failed')
        .filter(
          (x) =>
            !p.namespaceSelector ||
            p.namespaceSelector.matches(
              nsLabels.get(x.namespace) ?? { 'kubernetes.io/metadata.name': x.namespace },
            ),
        )
        .filter((x) => !p.podSelector || p.podSelector.matches(x.labels))
        .map((x) => `${x.namespace}/${x.name}`)
        .sort();
      expect(selected(tracker, p.name), p.name).to.deep.equal(expected);
      const namespaces = [...new Set([...nsLabels.keys(), ...[...pods.values()].map((x) => x.namespace)])]
        .filter(
          (ns) =>
            !p.namespaceSelector ||
            p.namespaceSelector.matches(nsLabels.get(ns) ?? { 'kubernetes.io/metadata.name': ns }),
        )
        .sort();
      expect(tracker.namespacesMatchedBy(p.name).sort(), `${p.name} namespaces`).to.deep.equal(namespaces);
    }
    for (const key of pods.keys()) {
      const expected = policies
        .filter((p) => selected(tracker, p.name).includes(key))
        .map((p) => p.name)
        .sort();
      expect([...tracker.policiesSelecting(key)].sort(), key).to.deep.equal(expected);
    }
  });
});
