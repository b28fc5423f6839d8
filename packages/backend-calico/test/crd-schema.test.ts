// Against each Calico release's real CRDs: what the backend writes validates against that release's
// IPPool schema and its CEL rules (evaluated, not restated), it picks the right API group, and it never
// touches the default pool.
import { expect } from 'chai';
import type { ClusterEgressTable } from '@egress-proxier/core';
import { CalicoProxier } from '../src/calico-proxier.js';
import type { IPPool } from '../src/calico/ippool.js';
import {
  IPV4_POOLS_ANNOTATION,
  IPV6_POOLS_ANNOTATION,
  POOLS_OWNER_ANNOTATION,
} from '../src/calico/ownership.js';
import { CALICO_VERSIONS, ipPoolSchema, loadCalicoCrds } from './support/calico-crds.js';
import {
  namespaceAnnotations,
  pods,
  policy,
  putNamespace,
  recordingLogger,
  startFakeCluster,
  type FakeCluster,
} from './support/fake-cluster.js';
import { validateCustomObject, withDefaults } from '@egress-proxier/testing';

const TABLE: ClusterEgressTable = {
  clusterCIDRs: [],
  policies: [
    policy('payments', {
      egressIPs: ['192.0.2.10', '2001:db8::10'],
      namespaceSelector: { matchLabels: { team: 'pay' } },
      namespaces: ['payments'],
      pods: [...pods('payments', ['192.0.2.10']), { ...pods('payments', ['10.244.1.5'])[0]!, name: 'old' }],
    }),
    policy('api', { egressIPs: ['198.51.100.7'], podSelector: { matchLabels: { app: 'api' } } }),
  ],
};

for (const version of CALICO_VERSIONS) {
  describe(`backend-calico against Calico ${version} CRDs`, () => {
    const crds = loadCalicoCrds(version);
    const hasV3 = ipPoolSchema(crds, 'projectcalico.org') !== undefined;
    const group = hasV3 ? 'projectcalico.org' : 'crd.projectcalico.org';
    const apiVersion = hasV3 ? 'projectcalico.org/v3' : 'crd.projectcalico.org/v1';
    let cluster: FakeCluster;

    beforeEach(async () => {
      cluster = await startFakeCluster(crds);
      cluster.api.store.put({
        apiVersion,
        kind: 'IPPool',
        metadata: { name: 'default-ipv4-ippool' },
        spec: {
          cidr: '10.244.0.0/16',
          vxlanMode: 'Always',
          ipipMode: 'Never',
          natOutgoing: true,
          blockSize: 26,
        },
      });
      putNamespace(cluster, 'payments', { team: 'pay' }, { 'example.com/keep': 'yes' });
    });
    afterEach(() => cluster.close());

    it(`writes ${apiVersion} pools that validate against the release's schema`, async () => {
      const defaultBefore = cluster.api.store.get(apiVersion, 'IPPool', 'default-ipv4-ippool');
      const { logger, lines } = recordingLogger();
      const proxier = new CalicoProxier({ kubeConfig: cluster.kubeConfig, logger });
      const report = await proxier.sync(TABLE, new AbortController().signal);
      expect(report.counts?.['poolsCreated']).to.equal(3);

      const schema = ipPoolSchema(crds, group);
      if (schema === undefined) throw new Error(`${version} has no ippools.${group} CRD`);
      const ours = cluster.api.store
        .list(apiVersion, 'IPPool')
        .filter((p) => p.metadata.name !== 'default-ipv4-ippool') as unknown as IPPool[];
      expect(ours.map((p) => p.spec.cidr).sort()).to.deep.equal([
        '192.0.2.10/32',
        '198.51.100.7/32',
        '2001:db8::10/128',
      ]);
      for (const pool of ours) {
        const defaulted = withDefaults(pool, schema) as Record<string, unknown>;
        expect(validateCustomObject(defaulted, schema), pool.metadata.name).to.deep.equal([]);
        expect(pool.spec).to.include({ natOutgoing: false, assignmentMode: 'Manual' });
        expect(pool.spec.allowedUses).to.deep.equal(['Workload']);
      }
      const v4 = ours.find((p) => p.spec.cidr === '192.0.2.10/32')!;
      const v6 = ours.find((p) => p.spec.cidr === '2001:db8::10/128')!;
      expect(v4.spec).to.include({ blockSize: 32, vxlanMode: 'Always', ipipMode: 'Never' });
      expect(v6.spec).to.include({ blockSize: 128, vxlanMode: 'Never', ipipMode: 'Never' });

      const defaultAfter = cluster.api.store.get(apiVersion, 'IPPool', 'default-ipv4-ippool');
      expect(defaultAfter?.metadata.resourceVersion).to.equal(defaultBefore?.metadata.resourceVersion);

      expect(namespaceAnnotations(cluster, 'payments')).to.deep.equal({
        'example.com/keep': 'yes',
        [IPV4_POOLS_ANNOTATION]: JSON.stringify([v4.metadata.name]),
        [IPV6_POOLS_ANNOTATION]: JSON.stringify([v6.metadata.name]),
        [POOLS_OWNER_ANNOTATION]: 'payments',
      });

      const types = proxier
        .conditions()
        .get('payments')
        ?.map((c) => c.type);
      const warnings = lines.filter((l) => l.level === 40).map((l) => l.msg);
      if (hasV3) {
        expect(types).to.deep.equal(['PodsPendingRecreate']);
        expect(warnings.join('\n')).not.to.include('internal');
      } else {
        expect(types).to.deep.equal(['PodsPendingRecreate', 'CalicoInternalAPIInUse']);
        expect(warnings.join('\n')).to.include('crd.projectcalico.org/v1');
      }
      expect(proxier.conditions().get('payments')?.[0]?.message).to.equal(
        '1 of 2 selected pods have addresses outside the pool; recreate them',
      );
    });
  });
}
