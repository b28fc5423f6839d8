// The status leader's view of SNAT port pressure: what every gateway publishes on its heartbeat Lease, and
// the PortsNearExhaustion condition of an Egress whose egress IP, on the node it is assigned to, is under
// pressure. An Egress with no such IP has no PortsNearExhaustion condition at all (not a False one), so
// turning traffic metrics on writes no status for a cluster that is fine.
import type { EgressCondition } from '../api/egress-types.js';
import { nodeOfLease } from '../kube/lease-api.js';
import type { SlimLease } from '../kube/slim-convert.js';
import type { PolicyOutcome } from '../model/policy-outcome.js';
import {
  PORT_PRESSURE_ANNOTATION,
  parsePortPressure,
  remoteEndpoint,
  type PortPressure,
  type PortPressureMap,
} from './port-pressure.js';

export const PORTS_NEAR_EXHAUSTION = 'PortsNearExhaustion';

export class PortPressureBook {
  private readonly byNode = new Map<string, { text: string; pressure: PortPressureMap }>();

  /** A heartbeat lease was listed or changed; true when what it says about port pressure changed. */
  observe(lease: SlimLease): boolean {
    const node = nodeOfLease(lease.name);
    if (node === undefined) return false;
    const text = lease.annotations[PORT_PRESSURE_ANNOTATION] ?? '';
    if ((this.byNode.get(node)?.text ?? '') === text) return false;
    if (text === '') this.byNode.delete(node);
    else this.byNode.set(node, { text, pressure: parsePortPressure(text) });
    return true;
  }

  /** A heartbeat lease was deleted; true when it carried port pressure. */
  forget(leaseName: string): boolean {
    const node = nodeOfLease(leaseName);
    return node !== undefined && this.byNode.delete(node);
  }

  /** The Egress's PortsNearExhaustion condition, or none when none of its egress IPs is under pressure. */
  conditionsFor(outcome: PolicyOutcome): EgressCondition[] {
    if (!outcome.accepted.status) return [];
    const pressed: { node: string; pressure: PortPressure }[] = [];
    for (const { egressIP, node } of outcome.assignments) {
      const pressure = node === null ? undefined : this.byNode.get(node)?.pressure.get(egressIP);
      if (node !== null && pressure !== undefined) pressed.push({ node, pressure });
    }
    if (pressed.length === 0) return [];
    return [
      {
        type: PORTS_NEAR_EXHAUSTION,
        status: 'True',
        reason: 'SNATPortsNearExhaustion',
        message: pressed
          .map(
            ({ node, pressure: p }) =>
              `${p.egressIP} on ${node}: ${p.ports} of ${p.capacity} source ports in use to ${remoteEndpoint(p)}`,
          )
          .join('; '),
      },
    ];
  }
}
