// Policy → table: what each node must do, and the precedence between policies.
import { expect } from 'chai';
import { buildNodeEgressTable } from '../src/table/build-node-table.js';
import { computePolicyOutcomes } from '../src/model/policy-outcome.js';
import { EgressModel } from '../src/model/egress-model.js';
import { tableDigest } from '../src/table/table-digest.js';
import type { EgressRule, NodeEgressTable } from '../src/table/node-egress-table.js';
import { egress, namespace, node, pod } from './support/builders.js';
import { CLUSTER_CIDRS, threeNodeCluster } from './support/cluster.js';

const byNs = { namespaceSelector: { matchLabels: { team: 'pay' } } };

function ruleSummary(table: NodeEgressTable): string[] {
  const sets = new Map(table.sourceSets.map((s) => [s.id, s.addresses.join(',')]));
  return table.rules.map((rule: EgressRule) => {
    const action =
      rule.action.kind === 'snat'
        ? `snat ${rule.action.egressIP}`
        : rule.action.kind === 'steer'
          ? `steer ${rule.action.egressIP} via ${rule.action.gateway.node}/${rule.action.gateway.nodeIP}`
          : rule.action.kind;
    const excluded = rule.excludedCIDRs.length ? ` except ${rule.excludedCIDRs.join(',')}` : '';
    return `${rule.policy}: ${sets.get(rule.sourceSet)} -> ${rule.destination}${excluded}: ${action}`;
  });
}

/** The gateway the model picked for an IP, so tests do not hard-code hash outcomes. */
function gatewayOf(model: EgressModel, ip: string): string {
  const gateway = model.gatewayOf(ip);
  if (!gateway) throw new Error(`no gateway for ${ip}`);
  return gateway;
}

describe('buildNodeEgressTable', () => {
  it('SNATs on the gateway, steers elsewhere, and lists cluster destinations', () => {
    const model = threeNodeCluster();
    model.upsertEgress(egress('pay', { ...byNs, egressIPs: ['192.0.2.100'] }));
    const gateway = gatewayOf(model, '192.0.2.100');
    expect(['node-b', 'node-c']).to.include(gateway, 'node-a is not labelled as a gateway');
    const gatewayIP = model.node(gateway)?.internalIPs[0];

    const onGateway = buildNodeEgressTable(model, gateway);
    expect(onGateway.hostedEgressIPs).to.deep.equal([{ ip: '192.0.2.100', family: 4, policies: ['pay'] }]);
    expect(ruleSummary(onGateway)).to.deep.equal([
      'pay: 10.244.1.2,10.244.2.2,10.244.3.2 -> 0.0.0.0/0: snat 192.0.2.100',
    ]);

    const onA = buildNodeEgressTable(model, 'node-a');
    expect(onA.hostedEgressIPs).to.deep.equal([]);
    expect(ruleSummary(onA)).to.deep.equal([
      `pay: 10.244.1.2 -> 0.0.0.0/0: steer 192.0.2.100 via ${gateway}/${gatewayIP}`,
    ]);
    expect(onA.clusterCIDRs).to.deep.equal([
      '10.244.0.0/16',
      '10.96.0.0/12',
      '192.0.2.11/32',
      '192.0.2.12/32',
      '192.0.2.13/32',
    ]);
  });

  it('drops FailClosed and bypasses FailOpen traffic when no gateway is live', () => {
    const model = threeNodeCluster();
    model.upsertEgress(
      egress('closed', {
        podSelector: { matchLabels: { app: 'api' } },
        egressIPs: ['192.0.2.100'],
        gatewayNodeSelector: { matchLabels: { none: 'x' } },
      }),
    );
    model.upsertEgress(
      egress('open', {
        podSelector: { matchLabels: { app: 'web' } },
        egressIPs: ['192.0.2.101'],
        gatewayNodeSelector: { matchLabels: { none: 'x' } },
        failurePolicy: 'FailOpen',
      }),
    );
    expect(ruleSummary(buildNodeEgressTable(model, 'node-a'))).to.deep.equal([
      'closed: 10.244.1.2 -> 0.0.0.0/0: drop',
    ]);
    expect(ruleSummary(buildNodeEgressTable(model, 'node-c'))).to.deep.equal([
      'open: 10.244.3.2 -> 0.0.0.0/0: bypass',
    ]);
    const outcomes = computePolicyOutcomes(model);
    expect(outcomes.map((o) => o.assignments)).to.deep.equal([
      [{ egressIP: '192.0.2.100', node: null }],
      [{ egressIP: '192.0.2.101', node: null }],
    ]);
  });

  it('orders rules by longest prefix, then priority, then age, then name', () => {
    const model = threeNodeCluster();
    const sel = {
      podSelector: { matchLabels: { app: 'api' } },
      gatewayNodeSelector: { matchLabels: { 'kubernetes.io/hostname': 'none' } },
      failurePolicy: 'FailOpen',
    };
    model.upsertEgress(
      egress('wide', {
        ...sel,
        egressIPs: ['192.0.2.100'],
        destinationCIDRs: ['203.0.0.0/16'],
        priority: 100,
      }),
    );
    model.upsertEgress(
      egress('narrow', { ...sel, egressIPs: ['192.0.2.101'], destinationCIDRs: ['203.0.113.0/25'] }),
    );
    model.upsertEgress(
      egress('z-high', {
        ...sel,
        egressIPs: ['192.0.2.102'],
        destinationCIDRs: ['198.51.100.0/24'],
        priority: 5,
      }),
    );
    model.upsertEgress(
      egress(
        'a-old',
        { ...sel, egressIPs: ['192.0.2.103'], destinationCIDRs: ['198.51.100.0/24'] },
        { creationTimestamp: '2025-01-01T00:00:00Z' },
      ),
    );
    model.upsertEgress(
      egress('b-new', { ...sel, egressIPs: ['192.0.2.104'], destinationCIDRs: ['198.51.100.0/24'] }),
    );
    model.upsertEgress(
      egress('a-new', { ...sel, egressIPs: ['192.0.2.105'], destinationCIDRs: ['198.51.100.0/24'] }),
    );
    expect(
      buildNodeEgressTable(model, 'node-a').rules.map((r) => `${r.policy} ${r.destination}`),
    ).to.deep.equal([
      'narrow 203.0.113.0/25',
      'z-high 198.51.100.0/24',
      'a-old 198.51.100.0/24',
      'a-new 198.51.100.0/24',
      'b-new 198.51.100.0/24',
      'wide 203.0.0.0/16',
    ]);
    const shadowed = Object.fromEntries(
      computePolicyOutcomes(model).map((o) => [o.name, o.shadowedBy.map((s) => `${s.policy}:${s.pods}`)]),
    );
    expect(shadowed).to.deep.equal({
      'a-new': ['a-old:2', 'z-high:2'],
      'a-old': ['z-high:2'],
      'b-new': ['a-new:2', 'a-old:2', 'z-high:2'],
      narrow: [],
      wide: [],
      'z-high': [],
    });
  });

  it('carries excluded CIDRs per family on each rule', () => {
    const model = threeNodeCluster();
    model.upsertEgress(
      egress('pay', {
        ...byNs,
        egressIPs: ['192.0.2.100'],
        excludedCIDRs: ['203.0.113.0/24', '198.51.100.0/25'],
      }),
    );
    const rules = buildNodeEgressTable(model, 'node-a').rules;
    expect(rules.map((r) => r.excludedCIDRs)).to.deep.equal([['198.51.100.0/25', '203.0.113.0/24']]);
  });

  it('keeps dual-stack pods per family', () => {
    const model = new EgressModel({ clusterCIDRs: ['10.244.0.0/16', 'fd00:10:244::/56'] });
    model.upsertNode(node('gw', '192.0.2.12', { internalIPs: ['192.0.2.12', '2001:db8:1::12'] }));
    model.upsertPod(pod('ns', 'x', { nodeName: 'gw', podIPs: ['10.244.2.2', 'fd00:10:244:2::2'] }));
    model.upsertEgress(egress('v6only', { podSelector: {}, egressIPs: ['2001:db8::100'] }));
    const table = buildNodeEgressTable(model, 'gw');
    expect(table.sourceSets).to.deep.equal([
      { id: 'v6only/2001:db8::100', policy: 'v6only', family: 6, addresses: ['fd00:10:244:2::2'] },
    ]);
    expect(table.rules.map((r) => r.destination)).to.deep.equal(['::/0']);
  });

  it('gives byte-identical tables for equal states reached in different orders', () => {
    const objects = (reverse: boolean) => {
      const model = new EgressModel({ clusterCIDRs: CLUSTER_CIDRS });
      const steps: (() => void)[] = [
        () => model.upsertNode(node('node-b', '192.0.2.12')),
        () => model.upsertNode(node('node-c', '192.0.2.13')),
        () => model.upsertNamespace(namespace('payments', { team: 'pay' })),
        () => model.upsertEgress(egress('pay', { ...byNs, egressIPs: ['192.0.2.100', '192.0.2.101'] })),
        () =>
          model.upsertEgress(
            egress('db', {
              podSelector: { matchLabels: { app: 'db' } },
              egressIPs: ['192.0.2.102'],
              destinationCIDRs: ['203.0.113.0/24'],
            }),
          ),
        ...Array.from(
          { length: 40 },
          (_, i) => () =>
            model.upsertPod(
              pod('payments', `p${i}`, {
                nodeName: i % 2 ? 'node-b' : 'node-c',
                podIPs: [`10.244.${i % 2}.${i + 2}`],
                labels: { app: i % 3 ? 'web' : 'db' },
              }),
            ),
        ),
      ];
      for (const step of reverse ? steps.reverse() : steps) step();
      return ['node-b', 'node-c'].map((n) => JSON.stringify(buildNodeEgressTable(model, n)));
    };
    const forward = objects(false);
    expect(objects(true)).to.deep.equal(forward);
    expect(tableDigest(JSON.parse(forward[0] as string))).to.match(/^[0-9a-f]{16}$/);
  });

  describe('acceptance in cluster context', () => {
    const cases = [
      {
        name: 'an egress IP inside the pod CIDR',
        ip: '10.244.9.9',
        reason: 'EgressIPInClusterRange',
        message: 'egress IP 10.244.9.9 is inside cluster range 10.244.0.0/16',
      },
      {
        name: 'an egress IP inside the service CIDR',
        ip: '10.96.0.10',
        reason: 'EgressIPInClusterRange',
        message: 'egress IP 10.96.0.10 is inside cluster range 10.96.0.0/12',
      },
      {
        name: 'an egress IP equal to a node IP',
        ip: '192.0.2.12',
        reason: 'EgressIPIsNodeIP',
        message: 'egress IP 192.0.2.12 is the address of node node-b',
      },
      {
        name: 'a loopback egress IP',
        ip: '127.0.0.5',
        reason: 'EgressIPReserved',
        message: 'egress IP 127.0.0.5 is a loopback address',
      },
      {
        name: 'a link-local egress IP',
        ip: '169.254.1.1',
        reason: 'EgressIPReserved',
        message: 'egress IP 169.254.1.1 is a link-local address',
      },
      {
        name: 'a multicast egress IP',
        ip: '224.0.0.9',
        reason: 'EgressIPReserved',
        message: 'egress IP 224.0.0.9 is a multicast address',
      },
      {
        name: 'an unspecified egress IP',
        ip: '0.0.0.0',
        reason: 'EgressIPReserved',
        message: 'egress IP 0.0.0.0 is an unspecified address',
      },
      {
        name: 'a broadcast egress IP',
        ip: '255.255.255.255',
        reason: 'EgressIPReserved',
        message: 'egress IP 255.255.255.255 is a broadcast address',
      },
    ];
    for (const testCase of cases) {
      it(`rejects ${testCase.name} and leaves other policies working`, () => {
        const model = threeNodeCluster();
        model.upsertEgress(egress('good', { ...byNs, egressIPs: ['192.0.2.100'] }));
        model.upsertEgress(egress('bad', { ...byNs, egressIPs: [testCase.ip] }));
        const outcomes = computePolicyOutcomes(model);
        expect(outcomes.find((o) => o.name === 'bad')?.accepted).to.deep.equal({
          status: false,
          reason: testCase.reason,
          message: testCase.message,
        });
        expect(outcomes.find((o) => o.name === 'good')?.accepted).to.deep.equal({ status: true });
        expect(buildNodeEgressTable(model, 'node-a').rules.map((r) => r.policy)).to.deep.equal(['good']);
      });
    }

    it('rejects an invalid spec with its problems', () => {
      const model = threeNodeCluster();
      model.upsertEgress(egress('bad', { egressIPs: ['nope'] }));
      expect(computePolicyOutcomes(model)[0]?.accepted).to.deep.equal({
        status: false,
        reason: 'InvalidSpec',
        message:
          'spec: at least one of namespaceSelector and podSelector is required; spec.egressIPs[0]: "nope" is not a valid IP address',
      });
    });

    it('lets the older policy keep an egress IP claimed with another gateway selector', () => {
      const model = threeNodeCluster();
      model.upsertEgress(
        egress(
          'new',
          { ...byNs, egressIPs: ['192.0.2.100'], gatewayNodeSelector: { matchLabels: { x: 'y' } } },
          { creationTimestamp: '2026-02-01T00:00:00Z' },
        ),
      );
      model.upsertEgress(egress('old', { ...byNs, egressIPs: ['192.0.2.100'] }));
      model.upsertEgress(
        egress(
          'same',
          { podSelector: {}, egressIPs: ['192.0.2.100'] },
          { creationTimestamp: '2026-03-01T00:00:00Z' },
        ),
      );
      const accepted = Object.fromEntries(
        computePolicyOutcomes(model).map((o) => [o.name, o.accepted.status ? 'ok' : o.accepted.reason]),
      );
      expect(accepted).to.deep.equal({ new: 'EgressIPConflict', old: 'ok', same: 'ok' });
    });

    it('refuses what the backend cannot honour', () => {
      const model = threeNodeCluster({ capabilities: ['sharedAddress', 'failover', 'failClosed'] });
      model.upsertEgress(egress('scoped', { ...byNs, destinationCIDRs: ['203.0.113.0/24'] }));
      model.upsertEgress(egress('plain', { ...byNs, egressIPs: ['192.0.2.101'] }));
      const outcomes = computePolicyOutcomes(model);
      expect(outcomes.map((o) => [o.name, o.accepted])).to.deep.equal([
        ['plain', { status: true }],
        [
          'scoped',
          {
            status: false,
            reason: 'UnsupportedByBackend',
            message: 'the backend cannot honour: destinationCIDRs',
          },
        ],
      ]);
    });

    it('re-accepts a policy once the node whose IP it used is gone', () => {
      const model = threeNodeCluster();
      model.upsertEgress(egress('p', { ...byNs, egressIPs: ['192.0.2.13'] }));
      expect(model.rejectionOf('p')?.reason).to.equal('EgressIPIsNodeIP');
      model.deleteNode('node-c');
      expect(model.rejectionOf('p')).to.equal(null);
      expect(buildNodeEgressTable(model, 'node-a').rules).to.have.length(1);
    });
  });
});
