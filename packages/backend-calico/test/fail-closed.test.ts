// FailClosed on Calico: the Tier and GlobalNetworkPolicies the proxier writes, against the in-memory API
// server with Calico master's pool CRDs and its real GlobalNetworkPolicy CRD.
import { expect } from 'chai';
import type { ClusterEgressTable, ClusterPolicyEntry } from '@egress-proxier/core';
import { validateCustomObject, withDefaults, type KubeObject } from '@egress-proxier/testing';
import { CalicoProxier } from '../src/calico-proxier.js';
import type { GlobalNetworkPolicy, PolicyRule } from '../src/calico/global-network-policy.js';
import { loadCalicoCrds } from './support/calico-crds.js';
import {
  policy,
  putNamespace,
  recordingLogger,
  startFakeCluster,
  type FakeCluster,
} from './support/fake-cluster.js';
import { globalNetworkPolicyCrd, globalNetworkPolicySchema, tierCrd } from './support/policy-crds.js';

const V3 = 'projectcalico.org/v3';
const GNP = 'GlobalNetworkPolicy';
const signal = new AbortController().signal;
const CLUSTER = ['10.96.0.0/12', '172.18.0.2/32', 'fd00:10:96::/112'];
const table = (...policies: ClusterPolicyEntry[]): ClusterEgressTable => ({
  policies,
  clusterCIDRs: CLUSTER,
});
const closed = (
  name: string,
  fields: Partial<ClusterPolicyEntry> & { egressIPs: string[] },
): ClusterPolicyEntry =>
  policy(name, {
    namespaceSelector: { matchLabels: { team: 'pay' } },
    ...fields,
    failurePolicy: 'FailClosed',
  });

describe('CalicoProxier with FailClosed Egresses', () => {
  let cluster: FakeCluster;
  let proxier: CalicoProxier;

  const gnp = (name: string): GlobalNetworkPolicy | undefined =>
    cluster.api.store.get(V3, GNP, name) as unknown as GlobalNetworkPolicy | undefined;
  const gnpNames = (): string[] =>
    cluster.api.store
      .list(V3, GNP)
      .map((o) => o.metadata.name)
      .sort();
  const conditions = (name: string): string[] =>
    (proxier.conditions().get(name) ?? []).map((c) => `${c.type}/${c.reason}`);

  beforeEach(async () => {
    cluster = await startFakeCluster([...loadCalicoCrds('master'), globalNetworkPolicyCrd(), tierCrd()]);
    cluster.api.store.put({
      apiVersion: V3,
      kind: 'IPPool',
      metadata: { name: 'default-ipv4-ippool' },
      spec: { cidr: '10.244.0.0/16', ipipMode: 'Always', natOutgoing: true },
    });
    putNamespace(cluster, 'payments', { team: 'pay' });
    proxier = new CalicoProxier({ kubeConfig: cluster.kubeConfig, logger: recordingLogger().logger });
  });
  afterEach(() => cluster.close());

  it('writes a deny policy per FailClosed Egress, in its own tier, valid against Calico’s schema', async () => {
    const report = await proxier.sync(
      table(
        closed('pay', { egressIPs: ['192.0.2.10', '2001:db8::10'], namespaces: ['payments'] }),
        policy('open', { egressIPs: ['192.0.2.20'], namespaceSelector: {}, failurePolicy: 'FailOpen' }),
      ),
      signal,
    );
    expect(gnpNames()).to.deep.equal(['egress-proxier.egress-pay', 'egress-proxier.pass-to-next-tier']);
    expect(report.counts).to.include({ failClosedPolicies: 1, failClosedObjectsCreated: 3 });
    expect(cluster.api.store.get(V3, 'Tier', 'egress-proxier')?.['spec']).to.deep.equal({
      order: 50,
      defaultAction: 'Pass',
    });
    const schema = globalNetworkPolicySchema();
    for (const name of gnpNames()) {
      const object = gnp(name) as unknown as Record<string, unknown>;
      expect(
        validateCustomObject(withDefaults(object, schema) as Record<string, unknown>, schema),
        name,
      ).to.deep.equal([]);
    }
    const pay = gnp('egress-proxier.egress-pay')!;
    expect(pay.spec).to.deep.include({
      tier: 'egress-proxier',
      order: 100,
      types: ['Egress'],
      selector: 'has(projectcalico.org/namespace) && pcns.team == "pay"',
    });
    // Pods are in Calico's pools, not only in the cluster CIDRs: all of them stay reachable.
    expect(pay.spec.egress).to.deep.equal([
      {
        action: 'Deny',
        ipVersion: 4,
        source: { notNets: ['192.0.2.10/32', '192.0.2.20/32'] },
        destination: {
          nets: ['0.0.0.0/0'],
          notNets: ['10.244.0.0/16', '10.96.0.0/12', '172.18.0.2/32', '192.0.2.10/32', '192.0.2.20/32'],
        },
      },
      {
        action: 'Deny',
        ipVersion: 6,
        source: { notNets: ['2001:db8::10/128'] },
        destination: { nets: ['::/0'], notNets: ['2001:db8::10/128', 'fd00:10:96::/112'] },
      },
    ] satisfies PolicyRule[]);
    expect(gnp('egress-proxier.pass-to-next-tier')?.spec.egress).to.deep.equal([{ action: 'Pass' }]);
    expect(conditions('pay')).to.deep.equal([]);
    expect(conditions('open')).to.deep.equal([]);
  });

  it('denies every source of a family while that family’s pool cannot be written', async () => {
    await proxier.sync(table(closed('pay', { egressIPs: ['10.244.3.3'], namespaces: ['payments'] })), signal);
    expect(conditions('pay')).to.deep.equal(['PoolOverlap/AddressInOtherPool']);
    const [rule] = gnp('egress-proxier.egress-pay')?.spec.egress ?? [];
    expect(rule).to.deep.equal({
      action: 'Deny',
      ipVersion: 4,
      destination: { nets: ['0.0.0.0/0'], notNets: ['10.244.0.0/16', '10.96.0.0/12', '172.18.0.2/32'] },
    });
  });

  it('rewrites only what changed, and removes the policy and then the tier when no Egress is FailClosed', async () => {
    const pay = (selector: Record<string, string>): ClusterEgressTable =>
      table(closed('pay', { egressIPs: ['192.0.2.10'], namespaceSelector: { matchLabels: selector } }));
    await proxier.sync(pay({ team: 'pay' }), signal);
    const first = gnp('egress-proxier.egress-pay')!.metadata.resourceVersion;
    const again = await proxier.sync(pay({ team: 'pay' }), signal);
    expect(again.changed).to.equal(false);
    expect(gnp('egress-proxier.egress-pay')?.metadata.resourceVersion).to.equal(first);

    const moved = await proxier.sync(pay({ team: 'billing' }), signal);
    expect(moved.counts).to.include({ failClosedObjectsUpdated: 1, failClosedObjectsCreated: 0 });
    expect(gnp('egress-proxier.egress-pay')?.spec.selector).to.equal(
      'has(projectcalico.org/namespace) && pcns.team == "billing"',
    );

    await proxier.sync(table(policy('pay', { egressIPs: ['192.0.2.10'], namespaceSelector: {} })), signal);
    expect(gnpNames()).to.deep.equal([]);
    expect(cluster.api.store.get(V3, 'Tier', 'egress-proxier')).to.equal(undefined);
  });

  it('never touches a user’s policy, not even one with our name, and says why the Egress is not enforced', async () => {
    const users: KubeObject[] = [
      {
        apiVersion: V3,
        kind: GNP,
        metadata: { name: 'egress-proxier.egress-pay' },
        spec: { selector: 'all()' },
      },
      { apiVersion: V3, kind: GNP, metadata: { name: 'egress-pay' }, spec: { selector: 'all()', order: 1 } },
    ];
    for (const object of users) cluster.api.store.put(object);
    const versions = (): (string | undefined)[] =>
      users.map((u) => gnp(String(u.metadata.name))?.metadata.resourceVersion);
    const before = versions();
    await proxier.sync(table(closed('pay', { egressIPs: ['192.0.2.10'] })), signal);
    expect(conditions('pay')).to.deep.equal(['FailClosedNotEnforced/PolicyWriteFailed']);
    expect(proxier.conditions().get('pay')?.[0]?.message).to.include(
      'egress-proxier.egress-pay exists and is not ours',
    );
    await proxier.sync(table(), signal);
    await proxier.cleanup(signal);
    expect(versions()).to.deep.equal(before);
    expect(gnpNames()).to.deep.equal(['egress-pay', 'egress-proxier.egress-pay']);
  });

  it('cleanup removes exactly its policies and tier', async () => {
    cluster.api.store.put({
      apiVersion: V3,
      kind: 'Tier',
      metadata: { name: 'security' },
      spec: { order: 10 },
    });
    cluster.api.store.put({
      apiVersion: V3,
      kind: GNP,
      metadata: { name: 'security.deny' },
      spec: { tier: 'security' },
    });
    await proxier.sync(table(closed('pay', { egressIPs: ['192.0.2.10'] })), signal);
    expect(gnpNames()).to.have.length(3);
    await proxier.cleanup(signal);
    expect(gnpNames()).to.deep.equal(['security.deny']);
    expect(cluster.api.store.list(V3, 'Tier').map((t) => t.metadata.name)).to.deep.equal(['security']);
  });
});

describe('CalicoProxier with FailClosed Egresses when Calico serves no GlobalNetworkPolicy', () => {
  it('names the missing CRD on the FailClosed Egress only, and still writes every pool', async () => {
    const cluster = await startFakeCluster(loadCalicoCrds('master'));
    try {
      const proxier = new CalicoProxier({ kubeConfig: cluster.kubeConfig, logger: recordingLogger().logger });
      await proxier.sync(
        table(
          closed('pay', { egressIPs: ['192.0.2.10'] }),
          policy('open', { egressIPs: ['192.0.2.20'], namespaceSelector: {} }),
        ),
        signal,
      );
      const pay = proxier.conditions().get('pay') ?? [];
      expect(pay.map((c) => `${c.type}/${c.reason}`)).to.deep.equal([
        'FailClosedNotEnforced/PolicyCrdNotServed',
      ]);
      expect(pay[0]?.message).to.include('globalnetworkpolicies.projectcalico.org');
      expect(proxier.conditions().get('open')).to.deep.equal([]);
      expect(
        cluster.api.store
          .list(V3, 'IPPool')
          .map((p) => p.metadata.name)
          .sort(),
      ).to.deep.equal(['egress-open-192-0-2-20', 'egress-pay-192-0-2-10']);
      await proxier.cleanup(signal);
    } finally {
      await cluster.close();
    }
  });
});
