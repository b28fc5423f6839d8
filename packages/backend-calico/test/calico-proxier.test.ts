// The proxier driven with successive tables against an in-memory API server with Calico master's CRDs.
import { expect } from 'chai';
import { SyncFailedError, type ClusterEgressTable, type ClusterPolicyEntry } from '@egress-proxier/core';
import { CalicoProxier } from '../src/calico-proxier.js';
import type { IPPool } from '../src/calico/ippool.js';
import { IPV4_POOLS_ANNOTATION, POOLS_OWNER_ANNOTATION } from '../src/calico/ownership.js';
import { loadCalicoCrds } from './support/calico-crds.js';
import {
  namespaceAnnotations,
  pods,
  policy,
  putNamespace,
  recordingLogger,
  startFakeCluster,
  type FakeCluster,
} from './support/fake-cluster.js';

const V3 = 'projectcalico.org/v3';
const signal = new AbortController().signal;
const table = (...policies: ClusterPolicyEntry[]): ClusterEgressTable => ({ policies, clusterCIDRs: [] });

describe('CalicoProxier', () => {
  let cluster: FakeCluster;
  let proxier: CalicoProxier;

  const poolCidrs = (): string[] =>
    (cluster.api.store.list(V3, 'IPPool') as unknown as IPPool[])
      .filter((p) => p.metadata.name !== 'default-ipv4-ippool')
      .map((p) => p.spec.cidr)
      .sort();
  const conditionTypes = (name: string): string[] =>
    (proxier.conditions().get(name) ?? []).map((c) => c.type);
  const message = (name: string, type: string): string | undefined =>
    proxier
      .conditions()
      .get(name)
      ?.find((c) => c.type === type)?.message;

  beforeEach(async () => {
    cluster = await startFakeCluster(loadCalicoCrds('master'));
    cluster.api.store.put({
      apiVersion: V3,
      kind: 'IPPool',
      metadata: { name: 'default-ipv4-ippool' },
      spec: { cidr: '10.244.0.0/16', ipipMode: 'Always', natOutgoing: true },
    });
    for (const ns of ['n1', 'n2', 'n3']) putNamespace(cluster, ns, {}, { 'example.com/other': ns });
    proxier = new CalicoProxier({ kubeConfig: cluster.kubeConfig, logger: recordingLogger().logger });
  });
  afterEach(() => cluster.close());

  it('adds and removes pools as a policy’s egressIPs change, and removes them all with the policy', async () => {
    await proxier.sync(table(policy('e', { egressIPs: ['192.0.2.1', '192.0.2.2'] })), signal);
    expect(poolCidrs()).to.deep.equal(['192.0.2.1/32', '192.0.2.2/32']);
    const report = await proxier.sync(table(policy('e', { egressIPs: ['192.0.2.2', '192.0.2.3'] })), signal);
    expect(poolCidrs()).to.deep.equal(['192.0.2.2/32', '192.0.2.3/32']);
    expect(report.counts).to.include({ poolsCreated: 1, poolsDeleted: 1, pools: 2 });
    const unchanged = await proxier.sync(
      table(policy('e', { egressIPs: ['192.0.2.2', '192.0.2.3'] })),
      signal,
    );
    expect(unchanged.changed).to.equal(false);
    await proxier.sync(table(), signal);
    expect(poolCidrs()).to.deep.equal([]);
  });

  it('copies the default pool’s encapsulation and updates our pools in place when it changes', async () => {
    await proxier.sync(table(policy('e', { egressIPs: ['192.0.2.1'] })), signal);
    const first = cluster.api.store.get(V3, 'IPPool', 'egress-e-192-0-2-1') as unknown as IPPool;
    expect(first.spec).to.include({ ipipMode: 'Always', vxlanMode: 'Never' });
    cluster.api.store.put({
      apiVersion: V3,
      kind: 'IPPool',
      metadata: { name: 'default-ipv4-ippool' },
      spec: { cidr: '10.244.0.0/16', vxlanMode: 'CrossSubnet', natOutgoing: true },
    });
    const report = await proxier.sync(table(policy('e', { egressIPs: ['192.0.2.1'] })), signal);
    expect(report.counts).to.include({ poolsUpdated: 1 });
    const second = cluster.api.store.get(V3, 'IPPool', 'egress-e-192-0-2-1') as unknown as IPPool;
    expect(second.spec).to.include({ ipipMode: 'Never', vxlanMode: 'CrossSubnet' });
  });

  it('annotates the namespaces a policy selects, follows namespace changes, and keeps others’ annotations', async () => {
    const withNamespaces = (namespaces: string[]): ClusterEgressTable =>
      table(
        policy('e', { egressIPs: ['192.0.2.1'], namespaceSelector: { matchLabels: { x: 'y' } }, namespaces }),
      );
    await proxier.sync(withNamespaces(['n1']), signal);
    expect(namespaceAnnotations(cluster, 'n1')).to.deep.equal({
      'example.com/other': 'n1',
      [IPV4_POOLS_ANNOTATION]: '["egress-e-192-0-2-1"]',
      [POOLS_OWNER_ANNOTATION]: 'e',
    });
    await proxier.sync(withNamespaces(['n2']), signal);
    expect(namespaceAnnotations(cluster, 'n1')).to.deep.equal({ 'example.com/other': 'n1' });
    expect(namespaceAnnotations(cluster, 'n2')[IPV4_POOLS_ANNOTATION]).to.equal('["egress-e-192-0-2-1"]');
    await proxier.sync(table(), signal);
    expect(namespaceAnnotations(cluster, 'n2')).to.deep.equal({ 'example.com/other': 'n2' });
  });

  it('never changes or removes a pool annotation someone else set, and says so', async () => {
    putNamespace(cluster, 'n3', {}, { [IPV4_POOLS_ANNOTATION]: '["team-pool"]' });
    const selecting = table(
      policy('e', {
        egressIPs: ['192.0.2.1'],
        namespaceSelector: { matchLabels: { x: 'y' } },
        namespaces: ['n1', 'n3'],
      }),
    );
    await proxier.sync(selecting, signal);
    expect(namespaceAnnotations(cluster, 'n3')).to.deep.equal({ [IPV4_POOLS_ANNOTATION]: '["team-pool"]' });
    expect(message('e', 'NamespaceAnnotatedByOthers')).to.include('1 of 2 namespaces').and.include('n3');
    await proxier.sync(table(), signal);
    expect(namespaceAnnotations(cluster, 'n3')).to.deep.equal({ [IPV4_POOLS_ANNOTATION]: '["team-pool"]' });
  });

  it('reports pods to recreate, more pods than addresses, and an exhausted pool, with counts', async () => {
    const withPods = (ips: string[]): ClusterEgressTable =>
      table(policy('e', { egressIPs: ['192.0.2.1', '192.0.2.2'], podSelector: {}, pods: pods('n1', ips) }));
    await proxier.sync(withPods(['10.244.0.5', '10.244.0.6']), signal);
    expect(conditionTypes('e')).to.deep.equal(['PodsPendingRecreate']);
    expect(message('e', 'PodsPendingRecreate')).to.equal(
      '2 of 2 selected pods have addresses outside the pool; recreate them',
    );
    await proxier.sync(withPods(['192.0.2.1', '10.244.0.6']), signal);
    expect(message('e', 'PodsPendingRecreate')).to.match(/^1 of 2 /);
    await proxier.sync(withPods(['192.0.2.1', '192.0.2.2']), signal);
    expect(conditionTypes('e')).to.deep.equal(['PoolExhausted']);
    expect(message('e', 'PoolExhausted')).to.match(/^2 of 2 pool addresses are in use/);
    await proxier.sync(withPods(['192.0.2.1', '192.0.2.2', '10.244.0.7']), signal);
    expect(conditionTypes('e')).to.deep.equal([
      'SharedAddressUnsupported',
      'PodsPendingRecreate',
      'PoolExhausted',
    ]);
    expect(message('e', 'SharedAddressUnsupported')).to.match(/^3 selected pods but 2 egress addresses/);
  });

  it('writes no pool for an address inside a pool it does not own, and leaves that pool untouched', async () => {
    const before = cluster.api.store.get(V3, 'IPPool', 'default-ipv4-ippool')?.metadata.resourceVersion;
    await proxier.sync(
      table(
        policy('a', { egressIPs: ['192.0.2.1'], namespaceSelector: {}, namespaces: ['n1'] }),
        policy('b', { egressIPs: ['10.244.9.9', '192.0.2.1'], namespaceSelector: {}, namespaces: ['n2'] }),
      ),
      signal,
    );
    expect(poolCidrs()).to.deep.equal(['192.0.2.1/32']);
    expect(cluster.api.store.get(V3, 'IPPool', 'default-ipv4-ippool')?.metadata.resourceVersion).to.equal(
      before,
    );
    expect(message('b', 'PoolOverlap'))
      .to.include('2 of 2 egress addresses')
      .and.include('default-ipv4-ippool');
    expect(message('b', 'PoolOverlap')).to.include('Egress a');
    expect(conditionTypes('a')).to.deep.equal([]);
    expect(namespaceAnnotations(cluster, 'n2')[IPV4_POOLS_ANNOTATION]).to.equal(undefined);
  });

  it('leaves a pool that has our name but not our labels alone', async () => {
    cluster.api.store.put({
      apiVersion: V3,
      kind: 'IPPool',
      metadata: { name: 'egress-e-192-0-2-1' },
      // A /32 needs blockSize 32: Calico's CEL refuses a pool smaller than its (default 26) block size.
      spec: { cidr: '192.0.2.1/32', blockSize: 32 },
    });
    const before = cluster.api.store.get(V3, 'IPPool', 'egress-e-192-0-2-1')?.metadata.resourceVersion;
    await proxier.sync(table(policy('e', { egressIPs: ['192.0.2.1'] })), signal);
    expect(message('e', 'PoolOverlap')).to.include('has this name but is not ours');
    await proxier.cleanup(signal);
    expect(cluster.api.store.get(V3, 'IPPool', 'egress-e-192-0-2-1')?.metadata.resourceVersion).to.equal(
      before,
    );
  });

  it('refuses destination-scoped policies with a condition and writes nothing for them', async () => {
    await proxier.sync(
      table(policy('d', { egressIPs: ['192.0.2.1'], destinationCIDRs: ['203.0.113.0/24'] })),
      signal,
    );
    expect(poolCidrs()).to.deep.equal([]);
    expect(conditionTypes('d')).to.deep.equal(['DestinationScopedUnsupported']);
  });

  it('gives the namespace to the first Egress by name when two select it', async () => {
    await proxier.sync(
      table(
        policy('a', { egressIPs: ['192.0.2.1'], namespaceSelector: {}, namespaces: ['n1'] }),
        policy('b', { egressIPs: ['192.0.2.2'], namespaceSelector: {}, namespaces: ['n1', 'n2'] }),
      ),
      signal,
    );
    expect(namespaceAnnotations(cluster, 'n1')[POOLS_OWNER_ANNOTATION]).to.equal('a');
    expect(namespaceAnnotations(cluster, 'n2')[POOLS_OWNER_ANNOTATION]).to.equal('b');
    expect(message('b', 'PoolSelectionConflict')).to.equal(
      '1 of 2 namespaces are already requested by another Egress: n1 (kept by a)',
    );
  });

  it('converges without duplicates when two instances sync the same table concurrently', async () => {
    const other = new CalicoProxier({ kubeConfig: cluster.kubeConfig, logger: recordingLogger().logger });
    const shared = table(
      policy('e', {
        egressIPs: ['192.0.2.1', '192.0.2.2', '2001:db8::1'],
        namespaceSelector: {},
        namespaces: ['n1'],
      }),
    );
    await Promise.all([proxier.sync(shared, signal), other.sync(shared, signal)]);
    expect(poolCidrs()).to.deep.equal(['192.0.2.1/32', '192.0.2.2/32', '2001:db8::1/128']);
    expect(conditionTypes('e')).to.deep.equal([]);
    expect(other.conditions().get('e')).to.deep.equal([]);
    expect(namespaceAnnotations(cluster, 'n1')[POOLS_OWNER_ANNOTATION]).to.equal('e');
  });

  it('fails a sync whose pool list fails, with CalicoAPIUnavailable for every policy for status', async () => {
    await proxier.sync(table(policy('e', { egressIPs: ['192.0.2.1'] })), signal);
    cluster.api.faults.failNext({ count: 1, status: 503, path: 'ippools', verb: 'list' });
    const failure = await proxier.sync(table(policy('e', { egressIPs: ['192.0.2.1'] })), signal).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).to.be.instanceOf(SyncFailedError);
    const conditions = (failure as SyncFailedError).policyConditions.get('e') ?? [];
    expect(conditions.map((c) => [c.type, c.reason])).to.deep.equal([['CalicoAPIUnavailable', 'ListFailed']]);
    expect(poolCidrs()).to.deep.equal(['192.0.2.1/32']);
  });

  it('cleanup removes only its pools and annotations', async () => {
    putNamespace(cluster, 'n3', {}, { [IPV4_POOLS_ANNOTATION]: '["team-pool"]' });
    await proxier.sync(
      table(policy('e', { egressIPs: ['192.0.2.1'], namespaceSelector: {}, namespaces: ['n1', 'n3'] })),
      signal,
    );
    await proxier.cleanup(signal);
    expect(poolCidrs()).to.deep.equal([]);
    expect(cluster.api.store.get(V3, 'IPPool', 'default-ipv4-ippool')).to.not.equal(undefined);
    expect(namespaceAnnotations(cluster, 'n1')).to.deep.equal({ 'example.com/other': 'n1' });
    expect(namespaceAnnotations(cluster, 'n3')).to.deep.equal({ [IPV4_POOLS_ANNOTATION]: '["team-pool"]' });
  });
});

describe('CalicoProxier on clusters without a usable Calico API', () => {
  it('reports CalicoAPIUnavailable and does not throw when no Calico CRD is registered', async () => {
    const cluster = await startFakeCluster([]);
    try {
      const { logger, lines } = recordingLogger();
      const proxier = new CalicoProxier({ kubeConfig: cluster.kubeConfig, logger });
      const report = await proxier.sync(table(policy('e', { egressIPs: ['192.0.2.1'] })), signal);
      expect(report.changed).to.equal(false);
      expect(
        proxier
          .conditions()
          .get('e')
          ?.map((c) => c.type),
      ).to.deep.equal(['CalicoAPIUnavailable']);
      expect(proxier.conditions().get('e')?.[0]?.message).to.include('projectcalico.org/v3');
      expect(lines.some((l) => l.level === 40 && l.msg.includes('API unavailable'))).to.equal(true);
      await proxier.cleanup(signal);
    } finally {
      await cluster.close();
    }
  });

  it('fences pools with nodeSelector "!all()" when the installed schema has no assignmentMode', async () => {
    const crds = loadCalicoCrds('v3.31.7').map((crd) => structuredClone(crd));
    const ipPools = crds.find((crd) => crd.metadata.name === 'ippools.crd.projectcalico.org')!;
    delete ipPools.spec.versions[0]!.schema.openAPIV3Schema.properties!['spec']!.properties![
      'assignmentMode'
    ];
    const cluster = await startFakeCluster(crds);
    try {
      const proxier = new CalicoProxier({ kubeConfig: cluster.kubeConfig, logger: recordingLogger().logger });
      await proxier.sync(table(policy('e', { egressIPs: ['192.0.2.1'] })), signal);
      const pool = cluster.api.store.get(
        'crd.projectcalico.org/v1',
        'IPPool',
        'egress-e-192-0-2-1',
      ) as unknown as IPPool;
      expect(pool.spec.nodeSelector).to.equal('!all()');
      expect(pool.spec.assignmentMode).to.equal(undefined);
    } finally {
      await cluster.close();
    }
  });
});
