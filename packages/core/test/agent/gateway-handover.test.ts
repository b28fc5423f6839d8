// The claiming side of fencing: an IP that moves here is hosted only after the previous owner's lease has
// expired plus a margin, and until then its traffic is dropped (FailClosed) or left alone (FailOpen).
import { expect } from 'chai';
import { GatewayHandover } from '../../src/agent/gateway-handover.js';
import { buildNodeEgressTable } from '../../src/table/build-node-table.js';
import { EgressModel } from '../../src/model/egress-model.js';
import { egress, node, pod } from '../support/builders.js';

function cluster(failurePolicy: 'FailClosed' | 'FailOpen', live: Set<string>): EgressModel {
  const model = new EgressModel({
    clusterCIDRs: ['10.244.0.0/16'],
    liveness: { isLive: (n) => live.has(n) },
  });
  model.upsertNode(node('gw-a', '198.51.100.1'));
  model.upsertNode(node('gw-b', '198.51.100.2'));
  model.upsertPod(pod('ns', 'p', { nodeName: 'gw-b', podIPs: ['10.244.2.2'] }));
  model.upsertEgress(egress('e', { podSelector: {}, egressIPs: ['192.0.2.10'], failurePolicy }));
  return model;
}

for (const failurePolicy of ['FailClosed', 'FailOpen'] as const) {
  describe(`GatewayHandover (${failurePolicy})`, () => {
    it('holds a moved IP until the previous owner’s lease expired plus the margin', () => {
      const live = new Set(['gw-a', 'gw-b']);
      const model = cluster(failurePolicy, live);
      const owner = model.gatewayOf('192.0.2.10') as string;
      const other = owner === 'gw-a' ? 'gw-b' : 'gw-a';
      let now = 1_000;
      const expiry = new Map([[owner, 2_000]]);
      const handover = new GatewayHandover(
        other,
        { expiryOf: (n) => expiry.get(n) },
        500,
        () => owner,
        () => now,
      );

      expect(handover.apply(model, buildNodeEgressTable(model, other)).table.hostedEgressIPs).to.deep.equal(
        [],
      );
      live.delete(owner);
      model.livenessChanged();
      const held = handover.apply(model, buildNodeEgressTable(model, other));
      expect(held.newlyHeld).to.equal(1);
      expect(held.nextReleaseAt).to.equal(2_500);
      expect(held.table.hostedEgressIPs).to.deep.equal([]);
      expect(held.table.rules.map((r) => r.action.kind)).to.deep.equal([
        failurePolicy === 'FailClosed' ? 'drop' : 'bypass',
      ]);

      now = 2_501;
      const released = handover.apply(model, buildNodeEgressTable(model, other));
      expect(released.table.hostedEgressIPs.map((h) => h.ip)).to.deep.equal(['192.0.2.10']);
      expect(released.table.rules.map((r) => r.action.kind)).to.deep.equal(['snat']);
    });
  });
}

describe('GatewayHandover on a source node', () => {
  it('does not steer to a new gateway before the previous owner’s lease expired plus the margin', () => {
    const live = new Set(['gw-a', 'gw-b']);
    const model = new EgressModel({
      clusterCIDRs: ['10.244.0.0/16'],
      liveness: { isLive: (n) => live.has(n) },
    });
    model.upsertNode(node('gw-a', '198.51.100.1'));
    model.upsertNode(node('gw-b', '198.51.100.2'));
    model.upsertNode(node('worker', '198.51.100.3', { labels: {} }));
    model.upsertPod(pod('ns', 'p', { nodeName: 'worker', podIPs: ['10.244.3.2'] }));
    model.upsertEgress(egress('e', { podSelector: {}, egressIPs: ['192.0.2.10'] }));
    const owner = model.gatewayOf('192.0.2.10') as string;
    let now = 1_000;
    const handover = new GatewayHandover(
      'worker',
      { expiryOf: () => 2_000 },
      500,
      () => owner,
      () => now,
    );
    expect(
      handover.apply(model, buildNodeEgressTable(model, 'worker')).table.rules.map((r) => r.action.kind),
    ).to.deep.equal(['steer']);

    live.delete(owner);
    model.livenessChanged();
    const held = handover.apply(model, buildNodeEgressTable(model, 'worker'));
    expect(held.newlyHeld, 'only claims by this node count as held claims').to.equal(0);
    expect(held.nextReleaseAt).to.equal(2_500);
    expect(held.table.rules.map((r) => r.action.kind)).to.deep.equal(['drop']);

    now = 2_501;
    const released = handover.apply(model, buildNodeEgressTable(model, 'worker')).table.rules;
    expect(
      released.map((r) => (r.action.kind === 'steer' ? r.action.gateway.node : r.action.kind)),
    ).to.deep.equal([owner === 'gw-a' ? 'gw-b' : 'gw-a']);
  });
});
