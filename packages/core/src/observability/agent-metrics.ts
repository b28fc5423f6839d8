// The agent's Prometheus metrics (documented one by one in docs/operating.md). Each agent gets its own
// registry so that several agents in one process (tests, benchmarks) do not collide.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

const PREFIX = 'egress_proxier_';

export class AgentMetrics {
  readonly registry = new Registry();

  readonly syncDuration = new Histogram({
    name: `${PREFIX}sync_proxy_rules_duration_seconds`,
    help: 'Duration of one sync of the desired table into the backend',
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly programmingLatency = new Histogram({
    name: `${PREFIX}network_programming_duration_seconds`,
    help: 'Time from the first unsynced change observed by the agent to the datapath applying it',
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
    registers: [this.registry],
  });

  readonly lastSyncTimestamp = new Gauge({
    name: `${PREFIX}sync_proxy_rules_last_timestamp_seconds`,
    help: 'Time of the last successful sync (Unix seconds)',
    registers: [this.registry],
  });

  readonly lastQueuedTimestamp = new Gauge({
    name: `${PREFIX}sync_proxy_rules_last_queued_timestamp_seconds`,
    help: 'Time the last change was queued for a sync (Unix seconds)',
    registers: [this.registry],
  });

  readonly syncFailures = new Counter({
    name: `${PREFIX}sync_proxy_rules_failures_total`,
    help: 'Syncs that failed (the backend threw); they are retried with backoff',
    registers: [this.registry],
  });

  readonly tablePolicies = new Gauge({
    name: `${PREFIX}table_policies`,
    help: 'Policies in this node table (accepted policies with local pods or hosted IPs)',
    registers: [this.registry],
  });

  readonly tableSourceIPs = new Gauge({
    name: `${PREFIX}table_source_ips`,
    help: 'Pod addresses in the source sets of this node table',
    registers: [this.registry],
  });

  readonly hostedEgressIPs = new Gauge({
    name: `${PREFIX}egress_ips_hosted`,
    help: 'Egress IPs this node holds on its uplink',
    registers: [this.registry],
  });

  readonly tableRules = new Gauge({
    name: `${PREFIX}table_rules`,
    help: 'Rules in this node table',
    registers: [this.registry],
  });

  readonly backendCounts = new Gauge({
    name: `${PREFIX}backend_counts`,
    help: "What the backend counted in its last successful sync (SyncReport.counts), by backend and kind: datapath objects such as rules or set entries, and that sync's work such as commands",
    labelNames: ['backend', 'kind'] as const,
    registers: [this.registry],
  });

  readonly acceptedPolicies = new Gauge({
    name: `${PREFIX}policies`,
    help: 'Egress policies known to the agent, by acceptance',
    labelNames: ['accepted'],
    registers: [this.registry],
  });

  readonly gatewayMoves = new Counter({
    name: `${PREFIX}gateway_moves_total`,
    help: 'Egress IPs whose gateway node changed (as this agent computes it)',
    registers: [this.registry],
  });

  readonly heldBackClaims = new Counter({
    name: `${PREFIX}gateway_claims_held_back_total`,
    help: 'Egress IPs assigned to this node that had to wait before being hosted: for its own claim to come back, or for another node to withdraw or its lease to expire',
    registers: [this.registry],
  });

  readonly heldEgressIPs = new Gauge({
    name: `${PREFIX}egress_ips_held`,
    help: 'Egress IPs whose traffic this node holds (drops or leaves alone) because their gateway has not confirmed it is ready',
    registers: [this.registry],
  });

  readonly statusWrites = new Counter({
    name: `${PREFIX}status_writes_total`,
    help: 'Egress status patches sent, by result',
    labelNames: ['result'],
    registers: [this.registry],
  });

  readonly eventWrites = new Counter({
    name: `${PREFIX}event_writes_total`,
    help: 'Kubernetes Events about Egresses written (created or patched), by result',
    labelNames: ['result'],
    registers: [this.registry],
  });

  readonly eventsDropped = new Counter({
    name: `${PREFIX}events_dropped_total`,
    help: 'Kubernetes Events not written, by reason (rate_limited: the per-object spam filter; queue_full: 1,000 writes already waiting)',
    labelNames: ['reason'],
    registers: [this.registry],
  });

  readonly watchRestarts = new Counter({
    name: `${PREFIX}watch_restarts_total`,
    help: 'Watch restarts, by resource and reason (expired: 410 relist; error; stalled: watchdog; closed)',
    labelNames: ['resource', 'reason'],
    registers: [this.registry],
  });

  readonly leaseRenewFailures = new Counter({
    name: `${PREFIX}heartbeat_renew_failures_total`,
    help: 'Failed renewals of this node heartbeat lease',
    registers: [this.registry],
  });

  readonly lastHeartbeatTimestamp = new Gauge({
    name: `${PREFIX}heartbeat_last_renew_timestamp_seconds`,
    help: 'Time of the last successful heartbeat renewal (Unix seconds)',
    registers: [this.registry],
  });

  readonly selfFenced = new Gauge({
    name: `${PREFIX}self_fenced`,
    help: '1 while this node cannot renew its heartbeat and has withdrawn its egress IPs',
    registers: [this.registry],
  });

  readonly peerChecks = new Counter({
    name: `${PREFIX}peer_checks_total`,
    help: 'Rounds of peer API-status checks made while this node could not renew its heartbeat, by outcome (full_outage: every peer is cut off too, stay; cut_off: a peer reaches the API, fence; renewed: a peer reaches the API and so does this node after one quick renewal, stay; no_answer; incomplete: a live peer did not answer)',
    labelNames: ['outcome'],
    registers: [this.registry],
  });

  readonly peerConfirmedOutage = new Gauge({
    name: `${PREFIX}peer_confirmed_outage`,
    help: '1 while this node keeps its egress IPs only because its peers confirm a full API outage',
    registers: [this.registry],
  });

  readonly liveGateways = new Gauge({
    name: `${PREFIX}live_heartbeats`,
    help: 'Nodes whose heartbeat lease this agent sees as fresh',
    registers: [this.registry],
  });

  readonly leader = new Gauge({
    name: `${PREFIX}leader`,
    help: '1 while this agent holds the leader lease (writes status, runs cluster-scope backends)',
    registers: [this.registry],
  });

  readonly egressIPConnections = new Counter({
    name: `${PREFIX}egress_ip_connections_total`,
    help: 'Connections translated to an egress IP this node holds, from the datapath counters (egress: the Egresses using the IP, comma-separated)',
    labelNames: ['egress_ip', 'egress'],
    registers: [this.registry],
  });

  readonly egressIPBytes = new Counter({
    name: `${PREFIX}egress_ip_bytes_total`,
    help: 'Bytes sent to the outside with an egress IP this node holds as their source, from the datapath counters (egress: the Egresses using the IP, comma-separated)',
    labelNames: ['egress_ip', 'egress'],
    registers: [this.registry],
  });

  readonly snatPortsBusiest = new Gauge({
    name: `${PREFIX}snat_ports_in_use_busiest`,
    help: 'Source ports of an egress IP this node holds in use towards its busiest remote endpoint (address, port, protocol) at the last traffic reading',
    labelNames: ['egress_ip'],
    registers: [this.registry],
  });

  readonly snatPortCapacity = new Gauge({
    name: `${PREFIX}snat_port_capacity`,
    help: "Source ports the backend's SNAT can use per egress IP and remote endpoint",
    registers: [this.registry],
  });

  readonly trafficReadDuration = new Histogram({
    name: `${PREFIX}traffic_read_duration_seconds`,
    help: "Duration of one reading of the datapath's traffic counters and SNAT port use",
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly trafficReadFailures = new Counter({
    name: `${PREFIX}traffic_read_failures_total`,
    help: "Readings of the datapath's traffic counters that failed (retried at the next interval)",
    registers: [this.registry],
  });

  constructor(options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry });
  }
}
