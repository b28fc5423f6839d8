// The order in which the core's hand-over protocol (core/src/fencing: claims and ready) changes node tables
// when an egress IP appears, moves or goes away. A source node steers an IP's traffic to a gateway only while
// that gateway lists the IP as ready (its sync programmed it); until then the source holds the traffic (drop
// under FailClosed, node IP under FailOpen). A gateway programs a claimed IP only once the previous owner
// has withdrawn it. So a move is four table generations: hold, withdraw, program, steer.
import { compareStrings, type EgressModel, type GatewayView } from '@egress-proxier/core';

export class HandOver {
  /** Egress IP → the node whose datapath holds it (address and SNAT). */
  private readonly hosting = new Map<string, string>();
  /** Egress IP → the gateway sources steer to (it reported the IP ready). */
  private readonly steering = new Map<string, string>();

  view(node: string): GatewayView {
    return {
      hostedHere: () =>
        [...this.hosting]
          .filter(([, owner]) => owner === node)
          .map(([ip]) => ip)
          .sort(compareStrings),
      steerTarget: (ip) => {
        const target = this.steering.get(ip);
        return target === undefined || target === node ? null : target;
      },
    };
  }

  /**
   * The state changes that take the nodes from what they hold to the model's assignment, one per table
   * generation; the caller syncs every node after each. The first step always exists (the model itself
   * may have changed); the others only when an IP's owner changes.
   */
  steps(model: EgressModel): (() => void)[] {
    const target = new Map<string, string | null>();
    for (const policy of model.acceptedPolicies())
      for (const ip of policy.egressIPs) target.set(ip, model.gatewayOf(ip));
    const ips = new Set([...target.keys(), ...this.hosting.keys(), ...this.steering.keys()]);
    const moving = [...ips].filter(
      (ip) =>
        (target.get(ip) ?? null) !== (this.hosting.get(ip) ?? null) ||
        this.steering.get(ip) !== this.hosting.get(ip),
    );
    const hold = () => moving.forEach((ip) => this.steering.delete(ip));
    if (moving.length === 0) return [hold];
    const withdraw = moving.filter((ip) => this.hosting.has(ip) && this.hosting.get(ip) !== target.get(ip));
    const claim = moving.filter((ip) => (target.get(ip) ?? null) !== null);
    const steps = [hold];
    if (withdraw.length > 0) steps.push(() => withdraw.forEach((ip) => this.hosting.delete(ip)));
    if (claim.length > 0) {
      steps.push(() => claim.forEach((ip) => this.hosting.set(ip, target.get(ip) as string)));
      steps.push(() => claim.forEach((ip) => this.steering.set(ip, target.get(ip) as string)));
    }
    return steps;
  }

  /** Forgets everything (a fresh cluster). */
  clear(): void {
    this.hosting.clear();
    this.steering.clear();
  }
}
