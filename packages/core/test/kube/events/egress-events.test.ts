// Status transitions → events, as data: each case is the status before, the status now, what the model says
// about the old gateway, and the events expected.
import { expect } from 'chai';
import type { GatewayIneligibility } from '../../../src/gateway/gateway-assigner.js';
import { eventViewOf } from '../../../src/kube/events/egress-event-view.js';
import { egressEvents, type EgressEvent } from '../../../src/kube/events/egress-events.js';

type Status = Record<string, unknown>;

function condition(type: string, status: string, reason: string, message = ''): Status {
  return { type, status, reason, message, lastTransitionTime: '2025-01-01T00:00:00Z', observedGeneration: 1 };
}

const accepted = condition('Accepted', 'True', 'Accepted');
const notConflicted = condition('Conflicted', 'False', 'NoConflict');

function acceptedStatus(assignments: { egressIP: string; node?: string }[], extra: Status[] = []): Status {
  return { assignments, conditions: [accepted, notConflicted, ...extra] };
}

function refusedStatus(reason: string, message: string): Status {
  return {
    assignments: [],
    conditions: [condition('Accepted', 'False', reason, message), notConflicted],
  };
}

interface Case {
  name: string;
  before: Status;
  now: Status;
  /** The model's answer for the old gateway; default: it is still eligible. */
  oldGateway?: GatewayIneligibility | null;
  cluster?: boolean;
  events: EgressEvent[];
}

const IP = '192.0.2.10';
const onNodeB = acceptedStatus([{ egressIP: IP, node: 'node-b' }]);
const assignedToNodeB: EgressEvent = {
  type: 'Normal',
  reason: 'GatewayAssigned',
  message: `egress IP ${IP} assigned to node node-b`,
};

const cases: Case[] = [
  {
    name: 'a new Egress (no status yet) is accepted and gets its gateway',
    before: {},
    now: onNodeB,
    events: [{ type: 'Normal', reason: 'Accepted', message: 'Egress accepted' }, assignedToNodeB],
  },
  {
    name: 'an unchanged status makes no event',
    before: onNodeB,
    now: onNodeB,
    events: [],
  },
  ...(
    [
      ['heartbeatExpired', 'the heartbeat lease of node node-b expired'],
      ['notReady', 'node node-b is not Ready'],
      ['selectorMismatch', 'node node-b no longer matches the gatewayNodeSelector'],
      ['nodeGone', 'node node-b was deleted'],
      ['noAddressOfFamily', "node node-b has no InternalIP of the egress IP's family"],
      [
        null,
        'node node-c ranks above node node-b in rendezvous order for the IP, which node node-b was not hosting yet',
      ],
    ] as const
  ).map(([cause, why]): Case => ({
    name: `a gateway move says why: ${cause ?? 'rendezvous order'}`,
    before: onNodeB,
    now: acceptedStatus([{ egressIP: IP, node: 'node-c' }]),
    oldGateway: cause,
    events: [
      {
        type: 'Normal',
        reason: 'GatewayMoved',
        message: `egress IP ${IP} moved from node node-b to node node-c: ${why}`,
      },
    ],
  })),
  {
    name: 'losing the last gateway is a warning that names the old one and why',
    before: onNodeB,
    now: acceptedStatus([{ egressIP: IP }]),
    oldGateway: 'heartbeatExpired',
    events: [
      {
        type: 'Warning',
        reason: 'NoGatewayAvailable',
        message: `egress IP ${IP} lost node node-b (the heartbeat lease of node node-b expired) and has no eligible gateway node (Ready, matching the gatewayNodeSelector, with a live heartbeat)`,
      },
    ],
  },
  {
    name: 'a gateway coming back to an IP that had none',
    before: acceptedStatus([{ egressIP: IP }]),
    now: onNodeB,
    events: [
      {
        type: 'Normal',
        reason: 'GatewayAssigned',
        message: `egress IP ${IP} assigned to node node-b (it had no live gateway)`,
      },
    ],
  },
  {
    name: 'a new Egress with no eligible gateway',
    before: {},
    now: acceptedStatus([{ egressIP: IP }]),
    events: [
      { type: 'Normal', reason: 'Accepted', message: 'Egress accepted' },
      {
        type: 'Warning',
        reason: 'NoGatewayAvailable',
        message: `egress IP ${IP} has no eligible gateway node (Ready, matching the gatewayNodeSelector, with a live heartbeat)`,
      },
    ],
  },
  {
    name: 'a cluster-scope backend has no gateways: no gateway events',
    before: {},
    now: acceptedStatus([{ egressIP: IP }]),
    cluster: true,
    events: [{ type: 'Normal', reason: 'Accepted', message: 'Egress accepted' }],
  },
  {
    name: 'a refusal is a warning with the Accepted reason and message, and nothing else',
    before: acceptedStatus(
      [{ egressIP: IP, node: 'node-b' }],
      [condition('PoolExhausted', 'True', 'PoolExhausted')],
    ),
    now: refusedStatus(
      'EgressIPConflict',
      `egress IP ${IP} is already used by Egress older with a different gatewayNodeSelector`,
    ),
    events: [
      {
        type: 'Warning',
        reason: 'EgressIPConflict',
        message: `refused: egress IP ${IP} is already used by Egress older with a different gatewayNodeSelector`,
      },
    ],
  },
  {
    name: 'another refusal reason is another warning',
    before: refusedStatus('InvalidSpec', 'spec.egressIPs[0]: not an IP address'),
    now: refusedStatus('EgressIPIsNodeIP', 'egress IP 198.51.100.12 is the address of node node-b'),
    events: [
      {
        type: 'Warning',
        reason: 'EgressIPIsNodeIP',
        message: 'refused: egress IP 198.51.100.12 is the address of node node-b',
      },
    ],
  },
  {
    name: 'an unchanged refusal makes no event',
    before: refusedStatus('InvalidSpec', 'x'),
    now: refusedStatus('InvalidSpec', 'x'),
    events: [],
  },
  {
    name: 'accepted after a refusal says what it was',
    before: refusedStatus('EgressIPConflict', 'm'),
    now: onNodeB,
    events: [
      { type: 'Normal', reason: 'Accepted', message: 'Egress accepted (it was refused: EgressIPConflict)' },
      assignedToNodeB,
    ],
  },
  {
    name: 'shadowed by another policy: the Warning names it',
    before: onNodeB,
    now: {
      assignments: [{ egressIP: IP, node: 'node-b' }],
      conditions: [
        accepted,
        condition('Conflicted', 'True', 'ShadowedByPolicy', 'winner wins for 2 pod(s) to 203.0.113.0/24'),
      ],
    },
    events: [
      {
        type: 'Warning',
        reason: 'ShadowedByPolicy',
        message: 'shadowed: winner wins for 2 pod(s) to 203.0.113.0/24',
      },
    ],
  },
  {
    name: 'a conflict that ends',
    before: {
      assignments: [],
      conditions: [
        accepted,
        condition('Conflicted', 'True', 'ShadowedByPolicy', 'w wins for 1 pod(s) to 0.0.0.0/0'),
      ],
    },
    now: acceptedStatus([]),
    events: [
      {
        type: 'Normal',
        reason: 'ConflictResolved',
        message: 'no other policy takes any of its pods any more',
      },
    ],
  },
  {
    name: 'a conflict whose pod count changes makes no new event',
    before: {
      assignments: [],
      conditions: [
        accepted,
        condition('Conflicted', 'True', 'ShadowedByPolicy', 'w wins for 1 pod(s) to 0.0.0.0/0'),
      ],
    },
    now: {
      assignments: [],
      conditions: [
        accepted,
        condition('Conflicted', 'True', 'ShadowedByPolicy', 'w wins for 3 pod(s) to 0.0.0.0/0'),
      ],
    },
    events: [],
  },
  {
    name: 'backend conditions appearing, changing reason, and going away; counts alone are no news',
    before: acceptedStatus(
      [],
      [
        condition('PodsPendingRecreate', 'True', 'PodsPendingRecreate', '3 of 5 selected pods …'),
        condition('FailClosedNotEnforced', 'True', 'PolicyCrdNotServed', 'm1'),
        condition('PoolOverlap', 'True', 'PoolOverlap', 'gone soon'),
      ],
    ),
    now: acceptedStatus(
      [],
      [
        condition('PodsPendingRecreate', 'True', 'PodsPendingRecreate', '2 of 5 selected pods …'),
        condition('FailClosedNotEnforced', 'True', 'PolicyWriteFailed', 'm2'),
        condition('PoolExhausted', 'True', 'PoolExhausted', 'every pool address is held'),
        condition('SomethingFine', 'False', 'AllGood', 'ok'),
      ],
    ),
    events: [
      { type: 'Warning', reason: 'FailClosedNotEnforced', message: 'PolicyWriteFailed: m2' },
      { type: 'Warning', reason: 'PoolExhausted', message: 'every pool address is held' },
      { type: 'Normal', reason: 'SomethingFine', message: 'AllGood: ok' },
      {
        type: 'Normal',
        reason: 'BackendConditionCleared',
        message: 'the backend no longer reports PoolOverlap',
      },
    ],
  },
];

describe('Egress events from status transitions', () => {
  for (const c of cases) {
    it(c.name, () => {
      const facts = { ineligibility: () => (c.oldGateway === undefined ? null : c.oldGateway) };
      const events = egressEvents(eventViewOf(c.before), eventViewOf(c.now), facts, {
        gatewayEvents: c.cluster !== true,
      });
      expect(events).to.deep.equal(c.events);
    });
  }

  it('asks the model about the old gateway of the moved IP', () => {
    const asked: string[] = [];
    egressEvents(
      eventViewOf(
        acceptedStatus([
          { egressIP: IP, node: 'node-b' },
          { egressIP: '192.0.2.11', node: 'node-a' },
        ]),
      ),
      eventViewOf(
        acceptedStatus([
          { egressIP: IP, node: 'node-c' },
          { egressIP: '192.0.2.11', node: 'node-a' },
        ]),
      ),
      { ineligibility: (ip, node) => (asked.push(`${ip} ${node}`), null) },
      { gatewayEvents: true },
    );
    expect(asked).to.deep.equal([`${IP} node-b`]);
  });
});
