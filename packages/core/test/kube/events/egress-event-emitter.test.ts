// The emitter over a real model: outcomes → desired status → events, with the status "written" back to the
// object after each round as the leader's status writer would.
import { expect } from 'chai';
import { desiredEgressStatus } from '../../../src/kube/egress-status.js';
import type { EventOccurrence } from '../../../src/kube/events/core-event.js';
import { EgressEventEmitter } from '../../../src/kube/events/egress-event-emitter.js';
import { toSlimEgress, type SlimEgress } from '../../../src/kube/slim-convert.js';
import type { EgressModel } from '../../../src/model/egress-model.js';
import { computePolicyOutcomes } from '../../../src/model/policy-outcome.js';
import { egress, node } from '../../support/builders.js';
import { threeNodeCluster } from '../../support/cluster.js';

const NOW = '2025-01-01T00:00:00Z';

class Leader {
  readonly recorded: EventOccurrence[] = [];
  readonly emitter: EgressEventEmitter;

  constructor(
    readonly model: EgressModel,
    readonly objects: Map<string, SlimEgress>,
  ) {
    this.emitter = new EgressEventEmitter(
      { record: (o) => this.recorded.push(o) },
      { ineligibility: (ip, n) => model.gatewayIneligibility(ip, n) },
      { gatewayEvents: true },
    );
  }

  /** One status round; the desired status is written to the objects (the API's copy). */
  round(): string[] {
    const before = this.recorded.length;
    for (const outcome of computePolicyOutcomes(this.model)) {
      const object = this.objects.get(outcome.name);
      if (!object) continue;
      const desired = desiredEgressStatus(outcome, object.status, NOW, []);
      this.emitter.observe(object, desired);
      object.status = desired as unknown as Record<string, unknown>;
    }
    return this.recorded.slice(before).map((o) => `${o.type} ${o.reason}: ${o.message}`);
  }
}

function put(model: EgressModel, objects: Map<string, SlimEgress>, raw: ReturnType<typeof egress>): void {
  model.upsertEgress(raw);
  objects.set(raw.metadata.name, toSlimEgress(raw));
}

describe('EgressEventEmitter', () => {
  let model: EgressModel;
  let objects: Map<string, SlimEgress>;
  let leader: Leader;
  let gateway: string;

  beforeEach(() => {
    model = threeNodeCluster();
    objects = new Map();
    put(model, objects, egress('pay', { podSelector: { matchLabels: { app: 'api' } } }, { uid: 'u1' }));
    leader = new Leader(model, objects);
    leader.round();
    gateway = model.gatewayOf('192.0.2.100') as string;
  });

  it('announces a new Egress once, about the object by uid and resourceVersion', () => {
    expect(leader.recorded.map((o) => o.reason)).to.deep.equal(['Accepted', 'GatewayAssigned']);
    expect(leader.recorded[1]?.involvedObject).to.deep.equal({
      apiVersion: 'egress.proxier.io/v1alpha1',
      kind: 'Egress',
      name: 'pay',
      uid: 'u1',
      resourceVersion: '',
    });
    expect(leader.round()).to.deep.equal([]);
  });

  it('reports a gateway that stops being Ready with the move and its cause', () => {
    const other = gateway === 'node-b' ? 'node-c' : 'node-b';
    const ip = gateway === 'node-b' ? '192.0.2.12' : '192.0.2.13';
    model.upsertNode(node(gateway, ip, { ready: false }));
    expect(leader.round()).to.deep.equal([
      `Normal GatewayMoved: egress IP 192.0.2.100 moved from node ${gateway} to node ${other}: node ${gateway} is not Ready`,
    ]);
    model.upsertNode(node(gateway, ip));
    const back = leader.round();
    // Back and eligible, and nobody publishes what it hosts in this model: rendezvous order decides.
    expect(back).to.deep.equal([
      `Normal GatewayMoved: egress IP 192.0.2.100 moved from node ${other} to node ${gateway}: node ${gateway} ranks above node ${other} in rendezvous order for the IP, which node ${other} was not hosting yet`,
    ]);
  });

  it('a new leader starts from the status on the objects: the steady state is not announced again', () => {
    const successor = new Leader(model, objects);
    expect(successor.round()).to.deep.equal([]);
    // ... but a change after the takeover is.
    model.upsertEgress(
      egress(
        'pay',
        { podSelector: { matchLabels: { app: 'api' } }, egressIPs: ['10.244.9.9'] },
        { uid: 'u1' },
      ),
    );
    expect(successor.round()).to.deep.equal([
      'Warning EgressIPInClusterRange: refused: egress IP 10.244.9.9 is inside cluster range 10.244.0.0/16',
    ]);
  });

  it('a new leader reports what changed while nobody wrote status', () => {
    model.upsertEgress(
      egress(
        'pay',
        { podSelector: { matchLabels: { app: 'api' } }, egressIPs: ['10.244.9.9'] },
        { uid: 'u1' },
      ),
    );
    // The status on the object still says accepted: the old leader never wrote the refusal.
    expect(new Leader(model, objects).round()).to.have.length(1);
  });

  it('after reset (leadership lost and regained) it starts from the objects again', () => {
    // Someone else's status on the object, e.g. a leader in between that wrote nothing yet for it.
    (objects.get('pay') as SlimEgress).status = {};
    expect(leader.round(), 'still leading: compared with what it computed last').to.deep.equal([]);
    (objects.get('pay') as SlimEgress).status = {};
    leader.emitter.reset();
    expect(leader.round().map((e) => e.split(':')[0])).to.deep.equal([
      'Normal Accepted',
      'Normal GatewayAssigned',
    ]);
  });

  it('an Egress deleted and created again under the same name is new', () => {
    objects.set(
      'pay',
      toSlimEgress(egress('pay', { podSelector: { matchLabels: { app: 'api' } } }, { uid: 'u2' })),
    );
    const events = leader.round();
    expect(events.map((e) => e.split(':')[0])).to.deep.equal(['Normal Accepted', 'Normal GatewayAssigned']);
    expect(leader.recorded.at(-1)?.involvedObject.uid).to.equal('u2');
  });

  it('forgets Egresses that are gone', () => {
    leader.emitter.retainOnly((name) => name !== 'pay');
    (objects.get('pay') as SlimEgress).status = {};
    // Forgotten: the next round compares with the object's status again.
    expect(leader.round().map((e) => e.split(':')[0])).to.deep.equal([
      'Normal Accepted',
      'Normal GatewayAssigned',
    ]);
  });
});
