// The agent's running totals of what left through each hosted egress IP. The datapath's counters start again
// from zero whenever the backend recreates what holds them (a rewritten rule, a re-created map), so a reading
// with either figure below the previous one is a restart: everything it holds is new. Totals therefore only grow, as Prometheus
// counters must, and a counter reset in the kernel never shows as negative traffic.
import type { EgressIPTraffic } from '../plugin/traffic.js';

export interface TrafficDelta {
  egressIP: string;
  connections: number;
  bytes: number;
}

export class TrafficTotals {
  private last = new Map<string, EgressIPTraffic>();

  /**
   * What each egress IP of `reading` added since the previous reading (all of it for an IP seen for the first
   * time), and which IPs the previous reading had that this one does not (no longer hosted here).
   */
  advance(reading: readonly EgressIPTraffic[]): { deltas: TrafficDelta[]; gone: string[] } {
    const next = new Map(reading.map((entry) => [entry.egressIP, entry]));
    const deltas = reading.map(({ egressIP, connections, bytes }) => {
      const before = this.last.get(egressIP);
      if (before === undefined || connections < before.connections || bytes < before.bytes)
        return { egressIP, connections, bytes };
      return { egressIP, connections: connections - before.connections, bytes: bytes - before.bytes };
    });
    const gone = [...this.last.keys()].filter((ip) => !next.has(ip));
    this.last = next;
    return { deltas, gone };
  }
}
