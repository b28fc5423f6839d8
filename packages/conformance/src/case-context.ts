// What a case gets: the world, the family it runs for, timing derived from the sync period, and helpers
// that turn the case table's short names (egress IP letters, server names, pod "n-j") into addresses.
import type { LabNode, LabPod } from '@egress-proxier/netlab';
import {
  EGRESS_IPS,
  PREFIXES,
  SERVERS,
  type EgressKey,
  type Family,
  type PrefixKey,
  type ServerKey,
} from './addresses.js';
import { checkSources, describeFailures, type SourceCheck } from './expect-source.js';
import { GATEWAY_LABEL, HOSTNAME_LABEL, type ConformanceWorld } from './world.js';

export interface Timing {
  /** The agent's sync period the backend claims to work with: drift must be gone after one sync in it. */
  syncPeriodMs: number;
  /** How long a check may poll for the expected source after a sync returned. */
  settleMs: number;
  /** How long a connection expected to be dropped is given before it counts as dropped. */
  dropTimeoutMs: number;
}

export class CaseFailure extends Error {
  override name = 'CaseFailure';
  constructor(readonly details: readonly string[]) {
    super(details.join('; '));
  }
}

/** Where a connection goes: an external server, a pod (its server on POD_PORT) or a node (NODE_PORT). */
export type Target = ServerKey | { pod: string } | { node: number };
/** What the server must see: an egress IP letter, the source pod's node IP, the pod's own IP, or a drop. */
export type Seen = EgressKey | 'node' | 'pod' | 'dropped';

export const POD_PORT = 9100;
export const NODE_PORT = 9101;

export interface EgressSpecInput {
  namespace?: string;
  app?: string;
  /** matchExpressions on pods, as is. */
  podExpressions?: Record<string, unknown>[];
  namespaceLabels?: Record<string, string>;
  ips: readonly EgressKey[];
  to?: PrefixKey;
  except?: PrefixKey;
  /** A node name, `pool` (the gateway label) or `none` (a selector no node matches). */
  gateway?: string;
  failurePolicy?: 'FailClosed' | 'FailOpen';
  priority?: number;
}

export class CaseContext {
  readonly details: string[] = [];

  constructor(
    readonly world: ConformanceWorld,
    readonly family: Family,
    readonly timing: Timing,
    readonly signal: AbortSignal,
  ) {}

  get lab() {
    return this.world.lab;
  }

  pod(ref: string): LabPod {
    const [node, index] = ref.split('-').map(Number);
    return this.lab.pod(node ?? 0, index ?? 0);
  }

  node(index: number): LabNode {
    return this.lab.node(index);
  }

  egressIP(key: EgressKey): string {
    return EGRESS_IPS[key][this.family];
  }

  /** An Egress spec in this case's family (egress IPs and CIDRs of the family only). */
  spec(input: EgressSpecInput): Record<string, unknown> {
    const spec: Record<string, unknown> = { egressIPs: input.ips.map((key) => this.egressIP(key)) };
    if (input.namespace !== undefined)
      spec.namespaceSelector = { matchLabels: { 'kubernetes.io/metadata.name': input.namespace } };
    if (input.namespaceLabels !== undefined) spec.namespaceSelector = { matchLabels: input.namespaceLabels };
    if (input.app !== undefined || input.podExpressions !== undefined) {
      spec.podSelector = {
        ...(input.app === undefined ? {} : { matchLabels: { app: input.app } }),
        ...(input.podExpressions === undefined ? {} : { matchExpressions: input.podExpressions }),
      };
    }
    if (input.to !== undefined) spec.destinationCIDRs = [PREFIXES[input.to][this.family]];
    else spec.destinationCIDRs = [this.family === 4 ? '0.0.0.0/0' : '::/0'];
    if (input.except !== undefined) spec.excludedCIDRs = [PREFIXES[input.except][this.family]];
    const gateway = input.gateway ?? 'pool';
    spec.gatewayNodeSelector = {
      matchLabels:
        gateway === 'pool'
          ? { [GATEWAY_LABEL]: 'true' }
          : gateway === 'none'
            ? { [GATEWAY_LABEL]: 'nobody' }
            : { [HOSTNAME_LABEL]: gateway },
    };
    if (input.failurePolicy !== undefined) spec.failurePolicy = input.failurePolicy;
    if (input.priority !== undefined) spec.priority = input.priority;
    return spec;
  }

  address(target: Target): { ip: string; port: number; label: string } {
    if (typeof target === 'string') {
      const ip = SERVERS[target][this.family];
      return { ip, port: this.lab.external(SERVERS[target][4]).port, label: `${target} ${ip}` };
    }
    if ('pod' in target) {
      const ip = this.world.podAddress(this.pod(target.pod), this.family);
      return { ip, port: POD_PORT, label: `pod-${target.pod} ${ip}` };
    }
    const ip = this.world.nodeAddress(this.node(target.node), this.family);
    return { ip, port: NODE_PORT, label: `node-${target.node} ${ip}` };
  }

  /** The address a `Seen` stands for, for a connection from `pod`. */
  seenAddress(pod: LabPod, seen: Seen | string): string {
    if (seen === 'dropped') return 'dropped';
    if (seen === 'node') return this.world.nodeAddress(pod.node, this.family);
    if (seen === 'pod') return this.world.podAddress(pod, this.family);
    if (seen in EGRESS_IPS) return this.egressIP(seen as EgressKey);
    return seen; // already an address
  }

  check(from: string, to: Target, seen: Seen | string): SourceCheck {
    const pod = this.pod(from);
    const target = this.address(to);
    const prober = this.world.prober(pod);
    return {
      label: `pod-${from} → ${target.label}`,
      probe: (timeoutMs) => prober.probe(target.ip, target.port, timeoutMs),
      expected: this.seenAddress(pod, seen),
    };
  }

  /** Fails the case with every mismatch when any of the rows is not what the server sees. */
  async expectSources(rows: readonly (readonly [string, Target, Seen | string])[]): Promise<void> {
    const outcomes = await checkSources(
      rows.map(([from, to, seen]) => this.check(from, to, seen)),
      this.timing.settleMs,
      this.timing.dropTimeoutMs,
    );
    const failures = describeFailures(outcomes);
    if (failures.length > 0) throw new CaseFailure(failures);
    this.details.push(`${outcomes.length} source checks`);
  }

  converge(): Promise<void> {
    return this.world.converge(this.signal);
  }
}
