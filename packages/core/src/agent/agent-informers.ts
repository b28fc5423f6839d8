// What the agent watches, and what each change does. Pods, namespaces and nodes feed the model and ask for
// a sync only when they change something the model keeps (most pod updates are status churn); an Egress
// whose spec is unchanged (usually our own status write) asks only for a status round; heartbeat leases go
// to the fencing controller (node backends only: a cluster-scope backend has no gateways).
import { leasesPath } from '../kube/lease-api.js';
import { HEARTBEAT_LABEL } from '../kube/heartbeat-renewer.js';
import {
  toSlimEgress,
  toSlimLease,
  toSlimNamespace,
  toSlimNode,
  toSlimPod,
  type SlimEgress,
  type SlimLease,
} from '../kube/slim-convert.js';
import type { SlimNamespace, SlimNode, SlimPod } from '../cluster/slim-objects.js';
import type { EgressModel } from '../model/egress-model.js';
import type { FencingController } from '../fencing/fencing-controller.js';
import type { PortPressureBook } from '../traffic/port-pressure-book.js';
import { informer, type InformerSpec } from './informers.js';

export interface InformerReactions {
  /** Something a table or a status depends on changed. */
  changed(): void;
  /** Only an Egress status changed. */
  statusChanged(): void;
  fencing: FencingController | undefined;
  /** Heartbeat leases also carry SNAT port pressure, for the status leader's conditions. */
  portPressure?: PortPressureBook;
}

export function agentInformers(
  namespace: string,
  model: EgressModel,
  on: InformerReactions,
): InformerSpec<unknown>[] {
  const changedIf = (changed: boolean): void => {
    if (changed) on.changed();
  };
  const specs = [
    informer<SlimEgress>({
      resource: 'egresses',
      path: '/apis/egress.proxier.io/v1alpha1/egresses',
      convert: toSlimEgress,
      upsert: (egress, previous) => {
        const specChanged =
          !previous ||
          previous.metadata.generation !== egress.metadata.generation ||
          JSON.stringify(previous.spec) !== JSON.stringify(egress.spec);
        if (!specChanged) return on.statusChanged();
        model.upsertEgress(egress);
        on.changed();
      },
      delete: (egress) => {
        model.deleteEgress(egress.metadata.name);
        on.changed();
      },
    }),
    informer<SlimPod>({
      resource: 'pods',
      path: '/api/v1/pods',
      convert: toSlimPod,
      upsert: (pod) => changedIf(model.upsertPod(pod)),
      delete: (pod) => changedIf(model.deletePod(pod.namespace, pod.name)),
    }),
    informer<SlimNamespace>({
      resource: 'namespaces',
      path: '/api/v1/namespaces',
      convert: toSlimNamespace,
      upsert: (ns) => changedIf(model.upsertNamespace(ns)),
      delete: (ns) => {
        model.deleteNamespace(ns.name);
        on.changed();
      },
    }),
    informer<SlimNode>({
      resource: 'nodes',
      path: '/api/v1/nodes',
      convert: toSlimNode,
      upsert: (node) => changedIf(model.upsertNode(node)),
      delete: (node) => {
        model.deleteNode(node.name);
        on.changed();
      },
    }),
  ];
  const fencing = on.fencing;
  if (fencing === undefined) return specs;
  return [
    informer<SlimLease>({
      resource: 'leases',
      path: leasesPath(namespace),
      convert: toSlimLease,
      labelSelector: `${HEARTBEAT_LABEL}=true`,
      upsert: (lease, _previous, origin) => {
        fencing.observeLease(lease, origin === 'watch');
        if (on.portPressure?.observe(lease)) on.statusChanged();
      },
      delete: (lease) => {
        fencing.forgetLease(lease.name);
        if (on.portPressure?.forget(lease.name)) on.statusChanged();
      },
    }),
    ...specs,
  ];
}
