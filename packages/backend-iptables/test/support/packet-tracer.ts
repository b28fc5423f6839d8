// Walks a packet through a node's rendered datapath the way netfilter would for a forwarded packet:
// mangle PREROUTING (marks) → policy routing → filter FORWARD → nat POSTROUTING, and says what happens
// to it. Then traces across nodes: a steered packet is traced again on the gateway it is routed to.
import { cidrContainsIP, parseCidr, type NodeEgressTable, type RenderedDatapath } from '@egress-proxier/core';
import {
  parseIpsetRestore,
  parseRestore,
  parseRouting,
  type Match,
  type ParsedSteering,
  type ParsedTables,
} from './restore-parser.js';

export interface Packet {
  src: string;
  dst: string;
  protocol?: 'tcp' | 'udp';
  /** The device the packet arrives on: a local pod's bridge unless steered in from another node. */
  inInterface?: string;
  /** Conntrack state: nat sees only a connection's first packet, so an established one skips it. */
  state?: 'new' | 'established';
  /** The connection's mark from its earlier packets (a connection steered before); default: the packet's. */
  connmark?: number;
}

/** Where local pods' packets arrive (the lab CNI's bridge). */
export const POD_BRIDGE = 'cni0';

const CONNTRACK_STATES = { new: 'NEW', established: 'ESTABLISHED' } as const;

export type Verdict =
  | { kind: 'snat'; to: string }
  | { kind: 'steered'; mark: number; via: string; device: string }
  | { kind: 'dropped' }
  /** None of our rules applied: the CNI's masquerade (or nothing, for cluster destinations) follows. */
  | { kind: 'untouched' }
  /** An established packet that passed our chains: the connection's NAT binding, set up by its first packet, applies. */
  | { kind: 'forwarded' };

/** One family's tables, set members and steering, as the tracer reads them. */
export interface KernelForTracing {
  tables: ParsedTables;
  sets: Map<string, string[]>;
  steering: ParsedSteering;
}

export interface TracedNode {
  nodeIP: string;
  table: NodeEgressTable;
  rendered: RenderedDatapath;
}

interface PacketState extends Required<Omit<Packet, 'connmark'>> {
  mark: number;
  connmark: number | undefined;
}

type Outcome = 'continue' | 'return' | 'accept' | 'drop' | { snat: string };

export class NodeTracer {
  private readonly tables: ParsedTables;
  private readonly sets: Map<string, string[]>;
  private readonly steering: ParsedSteering;

  /** From a rendered datapath (a fresh node), or from a kernel state (e.g. a SimulatedKernel snapshot). */
  constructor(source: RenderedDatapath | KernelForTracing, family: 4 | 6 = 4) {
    if ('sections' in source) {
      const section = (title: string) => source.sections.find((s) => s.title === title)?.content ?? '';
      this.tables = parseRestore(
        section(family === 4 ? 'iptables-restore --noflush' : 'ip6tables-restore --noflush'),
      );
      this.sets = parseIpsetRestore(section('ipset restore -exist'));
      this.steering = parseRouting(section('ip rule / ip route'));
    } else {
      this.tables = source.tables;
      this.sets = source.sets;
      this.steering = source.steering;
    }
  }

  /**
   * Where policy routing sends a packet that already carries `mark` (e.g. a VXLAN packet encapsulating a
   * steered one keeps its mark): the steering route, or 'main' when no rule matches or a throw route exempts
   * the destination.
   */
  routeMarked(mark: number, dst: string): { via: string; device: string } | 'main' {
    const rule = this.ruleFor(mark);
    if (rule === undefined) return 'main';
    const thrown = this.steering.throws.some(
      (candidate) => candidate.table === rule.table && contains(candidate.cidr, dst),
    );
    if (thrown) return 'main';
    const route = this.steering.routes.find((candidate) => candidate.table === rule.table);
    return route === undefined ? 'main' : { via: route.via, device: route.device };
  }

  trace(packet: Packet): Verdict {
    const state: PacketState = {
      protocol: 'tcp',
      inInterface: POD_BRIDGE,
      state: 'new',
      ...packet,
      connmark: packet.connmark,
      mark: 0,
    };
    this.walk('mangle', 'PREROUTING', state);
    const rule = this.ruleFor(state.mark);
    const forward = this.walk('filter', 'FORWARD', state);
    if (forward === 'drop') return { kind: 'dropped' };
    if (state.state === 'established') {
      const route = rule === undefined ? undefined : this.routeOf(rule.table, state.mark);
      return route === undefined ? { kind: 'forwarded' } : { kind: 'steered', mark: state.mark, ...route };
    }
    const nat = this.walk('nat', 'POSTROUTING', state);
    if (typeof nat === 'object') {
      if (rule !== undefined) throw new Error(`packet ${packet.src} → ${packet.dst} both steered and SNATed`);
      return { kind: 'snat', to: nat.snat };
    }
    if (rule !== undefined) {
      if (nat !== 'accept')
        throw new Error(`steered packet ${packet.src} → ${packet.dst} would be masqueraded`);
      return { kind: 'steered', mark: state.mark, ...this.routeOf(rule.table, state.mark) };
    }
    if (nat === 'accept') throw new Error(`unmarked packet ${packet.src} → ${packet.dst} accepted in nat`);
    return { kind: 'untouched' };
  }

  /** The first ip rule (by priority) whose fwmark matches; the main table's rules are not ours to model. */
  private ruleFor(mark: number): ParsedSteering['rules'][number] | undefined {
    return [...this.steering.rules]
      .sort((a, b) => a.priority - b.priority)
      .find((candidate) => (mark & candidate.mask) === candidate.mark);
  }

  private routeOf(table: number, mark: number): { via: string; device: string } {
    const route = this.steering.routes.find((candidate) => candidate.table === table);
    if (route === undefined)
      throw new Error(`ip rule for mark ${mark} looks up table ${table} without a route`);
    return { via: route.via, device: route.device };
  }

  private walk(table: string, chain: string, state: PacketState): Outcome {
    const rules = this.tables.get(table)?.get(chain) ?? [];
    for (const rule of rules) {
      if (!rule.matches.every((match) => this.matches(match, state))) continue;
      const target = rule.target;
      switch (target.kind) {
        case 'jump': {
          const outcome = this.walk(table, target.chain, state);
          if (outcome !== 'continue' && outcome !== 'return') return outcome;
          break;
        }
        case 'RETURN':
          return 'return';
        case 'ACCEPT':
          return 'accept';
        case 'DROP':
          return 'drop';
        case 'SNAT':
          return { snat: target.to };
        case 'MARK':
          if (!target.conntrack) state.mark = ((state.mark & ~target.mask) ^ target.value) >>> 0;
          else state.connmark = (((state.connmark ?? state.mark) & ~target.mask) ^ target.value) >>> 0;
          break;
        case 'TCPMSS':
          break;
      }
    }
    return 'continue';
  }

  private matches(match: Match, state: PacketState): boolean {
    switch (match.kind) {
      case 'set': {
        const entries = this.sets.get(match.set);
        if (entries === undefined) throw new Error(`rule refers to ipset ${match.set}, which is not created`);
        const address = match.direction === 'src' ? state.src : state.dst;
        const inSet = entries.some((entry) => contains(entry, address));
        return inSet !== match.negated;
      }
      case 'address':
        return contains(match.cidr, match.direction === 'src' ? state.src : state.dst) !== match.negated;
      case 'mark': {
        // A connection's mark follows its packets' unless the packet says what earlier packets left in it.
        const mark = match.conntrack ? (state.connmark ?? state.mark) : state.mark;
        return ((mark & match.mask) === match.value) !== match.negated;
      }
      case 'protocol':
        return state.protocol === match.protocol;
      case 'tcpFlags':
      case 'outInterface':
      case 'ctNat':
        // Only the MSS chain (mangle FORWARD) uses these, and it decides no verdict: a chain the tracer walks
        // must not depend on them.
        throw new Error(`the tracer does not evaluate ${match.kind} matches`);
      case 'inInterface':
        return (state.inInterface === match.device) !== match.negated;
      case 'ctstate':
        return match.states.includes(CONNTRACK_STATES[state.state]) !== match.negated;
    }
  }
}

function contains(entry: string, address: string): boolean {
  const text = entry.includes('/') ? entry : `${entry}/${entry.includes(':') ? 128 : 32}`;
  const parsed = parseCidr(text);
  if ('error' in parsed) throw new Error(`bad address ${entry}: ${parsed.error}`);
  return cidrContainsIP(parsed.cidr, address);
}

/** Where a pod's packet leaves the cluster, and with which source: an IP, or 'dropped'. */
export function leavesAs(nodes: readonly TracedNode[], podNode: TracedNode, sent: Packet): string {
  let packet = sent;
  let node = podNode;
  for (let hops = 0; hops < 3; hops++) {
    const verdict = new NodeTracer(node.rendered).trace(packet);
    switch (verdict.kind) {
      case 'dropped':
        return 'dropped';
      case 'snat':
        return verdict.to;
      case 'untouched': {
        const cluster = node.table.clusterCIDRs.some((cidr) => contains(cidr, packet.dst));
        return cluster ? packet.src : node.nodeIP; // the CNI masquerades what leaves the cluster
      }
      case 'steered': {
        const gateway = nodes.find((candidate) => candidate.nodeIP === verdict.via);
        if (gateway === undefined) throw new Error(`steered to ${verdict.via}, which is no node`);
        node = gateway;
        // On-link it arrives on the gateway's uplink (same name in these tests), or on its VXLAN device.
        packet = { ...packet, inInterface: verdict.device };
        break;
      }
      case 'forwarded':
        throw new Error('leavesAs traces new connections only');
    }
  }
  throw new Error(`packet ${packet.src} → ${packet.dst} is steered in a loop`);
}
