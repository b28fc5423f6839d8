// The agent's flags (kube-proxy's where they mean the same thing): their declarations for yargs and their
// conversion into AgentOptions, checked together so that a bad combination stops the agent with the flags'
// names before anything starts. `cleanup` and `preflight` share the flags that say which backend and node.
import type { Argv } from 'yargs';
import { DEFAULT_AGENT_OPTIONS, type AgentOptions } from '../agent/agent-options.js';
import type { LogLevel } from '../logging/logger.js';
import { parseBindAddress } from '../observability/http-endpoints.js';
import { splitList } from './list-args.js';

/** Flags of every command that acts on a node's backend (`run`, `cleanup`; `preflight` without dry-run). */
export interface BackendCommandArgs {
  backend: string;
  'node-name'?: string;
  kubeconfig?: string;
  'dry-run': boolean;
  'log-level': LogLevel;
  'log-pretty'?: boolean;
}

export interface RunArgs extends BackendCommandArgs {
  namespace: string;
  'cluster-cidr': string[];
  'service-cidr': string[];
  'sync-period': string;
  'min-sync-period': string;
  'heartbeat-interval': string;
  'lease-duration': string;
  'handover-margin': string;
  'handover-drain': string;
  'restart-hold': string;
  'self-fencing': boolean;
  'peer-fencing': boolean;
  'peer-port'?: number;
  'leader-elect-lease-duration': string;
  'leader-elect-renew-deadline': string;
  'leader-elect-retry-period': string;
  'healthz-bind-address': string;
  'metrics-bind-address': string;
  'traffic-interval': string;
  'snat-port-pressure': number;
}

const ms = (value: number): string => `${value}ms`;

/** `30s`, `1m`, `500ms`, `1.5s`, `1h` → milliseconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text.trim());
  if (!match) throw new Error(`invalid duration ${JSON.stringify(text)} (use e.g. 500ms, 30s, 1m)`);
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[match[2] as 'ms' | 's' | 'm' | 'h'];
  return Number(match[1]) * unit;
}

/**
 * `--backend`, `--node-name`, `--kubeconfig`, `--dry-run` and the log flags. `preflight` changes nothing, so
 * it has no `--dry-run`, and logs only errors by default (its report is the output).
 */
export function backendCommandFlags(
  yargs: Argv,
  what: { backend: string; kubeconfig: string; nodeName?: string },
  flags: { dryRun?: boolean; logLevel?: LogLevel } = {},
): Argv {
  yargs
    .option('backend', { type: 'string', demandOption: true, describe: what.backend })
    .option('node-name', {
      type: 'string',
      default: process.env.NODE_NAME,
      defaultDescription: '$NODE_NAME',
      describe: what.nodeName ?? 'This node’s name (required for node backends)',
    })
    .option('kubeconfig', { type: 'string', describe: what.kubeconfig });
  if (flags.dryRun !== false)
    yargs.option('dry-run', {
      type: 'boolean',
      default: false,
      describe: 'Log the commands that would change the host instead of running them',
    });
  return yargs
    .option('log-pretty', {
      type: 'boolean',
      default: false,
      describe: 'One readable line per log record instead of JSON (for a terminal)',
    })
    .option('log-level', {
      choices: ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const,
      default: flags.logLevel ?? 'info',
      describe: 'Log level (JSON logs on stderr)',
    });
}

export function agentFlags(yargs: Argv): Argv {
  const defaults = DEFAULT_AGENT_OPTIONS;
  return yargs
    .option('namespace', {
      type: 'string',
      default: process.env.POD_NAMESPACE ?? defaults.namespace,
      defaultDescription: '$POD_NAMESPACE or egress-proxier',
      describe: 'Namespace of the heartbeat and leader leases',
    })
    .option('cluster-cidr', {
      type: 'string',
      array: true,
      default: [],
      describe: 'Pod CIDR(s), repeatable or comma-separated: never SNATed, never valid egress IPs',
    })
    .option('service-cidr', {
      type: 'string',
      array: true,
      default: [],
      describe: 'Service CIDR(s), repeatable or comma-separated',
    })
    .option('sync-period', {
      type: 'string',
      default: ms(defaults.syncPeriodMs),
      describe: 'Maximum time between two syncs of the datapath (drift repair)',
    })
    .option('min-sync-period', {
      type: 'string',
      default: ms(defaults.minSyncPeriodMs),
      describe: 'Minimum time between syncs once two have run back to back (changes are batched)',
    })
    .option('heartbeat-interval', {
      type: 'string',
      default: ms(defaults.heartbeatIntervalMs),
      describe: 'How often a gateway-eligible node renews its heartbeat lease',
    })
    .option('lease-duration', {
      type: 'string',
      default: ms(defaults.leaseDurationMs),
      describe: 'Heartbeat lease duration: a gateway silent this long is failed over (whole seconds)',
    })
    .option('handover-margin', {
      type: 'string',
      default: ms(defaults.handoverMarginMs),
      describe: 'A dead gateway’s claim on an egress IP still counts this long after its lease expired',
    })
    .option('handover-drain', {
      type: 'string',
      default: ms(defaults.drainMs),
      describe:
        'A gateway keeps an egress IP that moves to another node this long before withdrawing it (sources steer to it until then; the new owner claims meanwhile)',
    })
    .option('restart-hold', {
      type: 'string',
      default: ms(defaults.restartHoldMs),
      describe:
        'On SIGTERM, keep this node’s lease and egress addresses this long, so a restart moves nothing (0s: off; a crash still fails over on the lease)',
    })
    .option('self-fencing', {
      type: 'boolean',
      default: true,
      describe: 'Withdraw this node’s egress IPs when its heartbeat cannot be renewed (see docs/failover.md)',
    })
    .option('peer-fencing', {
      type: 'boolean',
      default: true,
      describe:
        'Before self-fencing, ask the other gateway agents (at --peer-port) whether they reach the API: keep the egress IPs while none does (a full API outage)',
    })
    .option('peer-port', {
      type: 'number',
      defaultDescription: 'the port of --healthz-bind-address',
      describe: 'Port of the other agents’ health servers, reached at their node InternalIP',
    })
    .option('leader-elect-lease-duration', {
      type: 'string',
      default: ms(defaults.leaderElection.leaseDurationMs),
      describe: 'Leader lease duration (status writer, cluster-scope backends)',
    })
    .option('leader-elect-renew-deadline', {
      type: 'string',
      default: ms(defaults.leaderElection.renewDeadlineMs),
      describe: 'A leader that cannot renew this long steps down',
    })
    .option('leader-elect-retry-period', {
      type: 'string',
      default: ms(defaults.leaderElection.retryPeriodMs),
      describe: 'Time between leader election attempts',
    })
    .option('healthz-bind-address', {
      type: 'string',
      default: '0.0.0.0:10266',
      describe: 'HOST:PORT of /healthz, /livez and /peer/api-status (empty: off)',
    })
    .option('metrics-bind-address', {
      type: 'string',
      default: '127.0.0.1:10269',
      describe: 'HOST:PORT of /metrics (empty: off)',
    })
    .option('traffic-interval', {
      type: 'string',
      default: ms(defaults.trafficIntervalMs),
      describe:
        'How often the datapath’s per-egress-IP traffic counters and SNAT port use are read for /metrics and PortsNearExhaustion (0s: off)',
    })
    .option('snat-port-pressure', {
      type: 'number',
      default: defaults.portPressureThreshold,
      describe:
        'Fraction (0–1] of an egress IP’s SNAT source ports in use towards one remote endpoint at which its Egress gets PortsNearExhaustion',
    });
}

export function agentOptionsFromArgs(
  args: RunArgs,
  pluginOptions: AgentOptions['pluginOptions'],
): AgentOptions {
  const leaseDurationMs = parseDuration(args['lease-duration']);
  const heartbeatIntervalMs = parseDuration(args['heartbeat-interval']);
  if (leaseDurationMs % 1000 !== 0)
    throw new Error('--lease-duration must be whole seconds (Lease.spec.leaseDurationSeconds)');
  if (heartbeatIntervalMs * 2 > leaseDurationMs)
    throw new Error(
      '--lease-duration must be at least twice --heartbeat-interval (one lost renewal must not fail a gateway over)',
    );
  const restartHoldMs = parseDuration(args['restart-hold']);
  if (restartHoldMs !== 0 && (restartHoldMs % 1000 !== 0 || restartHoldMs < leaseDurationMs))
    throw new Error('--restart-hold must be 0s or whole seconds, at least --lease-duration');
  const leaderElection = {
    leaseDurationMs: parseDuration(args['leader-elect-lease-duration']),
    renewDeadlineMs: parseDuration(args['leader-elect-renew-deadline']),
    retryPeriodMs: parseDuration(args['leader-elect-retry-period']),
  };
  if (!(
    leaderElection.leaseDurationMs > leaderElection.renewDeadlineMs &&
    leaderElection.renewDeadlineMs > leaderElection.retryPeriodMs
  ))
    throw new Error(
      '--leader-elect-lease-duration must exceed --leader-elect-renew-deadline, which must exceed --leader-elect-retry-period',
    );
  return {
    ...DEFAULT_AGENT_OPTIONS,
    nodeName: args['node-name'] ?? '',
    namespace: args.namespace,
    clusterCIDRs: [...splitList(args['cluster-cidr']), ...splitList(args['service-cidr'])],
    syncPeriodMs: parseDuration(args['sync-period']),
    minSyncPeriodMs: parseDuration(args['min-sync-period']),
    heartbeatIntervalMs,
    leaseDurationMs,
    // Withdraw one renew interval before others may see the lease expire.
    fenceMarginMs: heartbeatIntervalMs,
    handoverMarginMs: parseDuration(args['handover-margin']),
    drainMs: parseDuration(args['handover-drain']),
    restartHoldMs,
    selfFencing: args['self-fencing'],
    peerFencing: args['peer-fencing'],
    peerPort: peerPortFromArgs(args),
    leaseWatchdogMs: 2 * leaseDurationMs,
    leaderElection: { ...DEFAULT_AGENT_OPTIONS.leaderElection, ...leaderElection },
    ...trafficOptionsFromArgs(args),
    pluginOptions,
  };
}

function trafficOptionsFromArgs(
  args: RunArgs,
): Pick<AgentOptions, 'trafficIntervalMs' | 'portPressureThreshold'> {
  const trafficIntervalMs = parseDuration(args['traffic-interval']);
  if (trafficIntervalMs !== 0 && trafficIntervalMs < 1_000)
    throw new Error(
      '--traffic-interval must be 0s (off) or at least 1s: each reading walks the datapath counters',
    );
  const threshold = args['snat-port-pressure'];
  if (!(threshold > 0 && threshold <= 1))
    throw new Error(`--snat-port-pressure ${threshold}: expected a fraction in (0, 1], e.g. 0.8`);
  return { trafficIntervalMs, portPressureThreshold: threshold };
}

/** `--peer-port`, else the port of `--healthz-bind-address` (the peers run with the same flags). */
function peerPortFromArgs(args: RunArgs): number {
  const explicit = args['peer-port'];
  if (explicit !== undefined) {
    if (!Number.isInteger(explicit) || explicit < 1 || explicit > 65535)
      throw new Error(`--peer-port ${explicit}: expected a port number`);
    return explicit;
  }
  const healthz = args['healthz-bind-address'];
  const port = healthz ? parseBindAddress(healthz).port : 0;
  if (port === 0 && args['peer-fencing'])
    throw new Error(
      '--peer-fencing needs the peers’ port: set --peer-port (the healthz address is off or on a random port)',
    );
  return port === 0 ? DEFAULT_AGENT_OPTIONS.peerPort : port;
}
