// What a node backend counts of the traffic that leaves through the egress IPs this node holds, read by the
// agent every --traffic-interval (never on the sync path) for /metrics and the PortsNearExhaustion condition.
// Backends read their datapath's own counters (netfilter rule counters, nftables set counters, BPF maps);
// nothing is sampled or inferred.

/** One hosted egress IP's traffic since the backend last created what counts it. */
export interface EgressIPTraffic {
  egressIP: string;
  /** Connections translated to the egress IP (their first packet). */
  connections: number;
  /** Bytes sent to the outside with the egress IP as their source (the pod → outside direction, IP headers included). */
  bytes: number;
}

/**
 * SNAT ports of one egress IP in use towards one remote endpoint: every live translated connection to the same
 * remote address, port and protocol needs a source port of its own, so this is what runs out first.
 */
export interface SnatPortUse {
  egressIP: string;
  protocol: 'tcp' | 'udp';
  remoteAddress: string;
  remotePort: number;
  /** Live translated connections (conntrack or NAT-map entries). */
  ports: number;
}

export interface TrafficReading {
  /**
   * One entry per hosted egress IP. Counters only grow, except when the backend recreated what holds them
   * (a rule rewritten, a map re-created): a value below the previous reading starts again from zero, and the
   * agent adds it to its totals as such (Prometheus counter semantics are kept by the agent, not the kernel).
   */
  traffic: readonly EgressIPTraffic[];
  /** For each hosted egress IP, its busiest remote endpoints (at least the busiest one when it has any). */
  portUse: readonly SnatPortUse[];
  /** Source ports the datapath's SNAT can use per egress IP and remote endpoint (e.g. 1024–65535: 64,512). */
  portCapacity: number;
}
