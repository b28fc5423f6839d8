// `egress-proxier run`: the node agent (kube-proxy's flags where they mean the same thing). Informers,
// heartbeats, leader election, status, health and metrics, around the `--backend` proxier.
import type { Argv, CommandModule } from 'yargs';
import { KubeConfig } from '@kubernetes/client-node';
import { createLogger, type LogLevel } from '../../logging/logger.js';
import { createContainer } from '../../composition/container.js';
import { TOKENS, resolveService } from '../../composition/tokens.js';
import { Agent } from '../../agent/agent.js';
import { DEFAULT_AGENT_OPTIONS, type AgentOptions } from '../../agent/agent-options.js';
import { AgentMetrics } from '../../observability/agent-metrics.js';
import {
  parseBindAddress,
  serveEndpoints,
  type ListeningServer,
} from '../../observability/http-endpoints.js';
import { splitList } from '../list-args.js';
import {
  addBackendOptions,
  backendOptionValues,
  backendPlugin,
  preloadedBackend,
} from '../backend-options.js';

export interface RunArgs {
  backend: string;
  'node-name'?: string;
  kubeconfig?: string;
  namespace: string;
  'cluster-cidr': string[];
  'service-cidr': string[];
  'sync-period': string;
  'min-sync-period': string;
  'heartbeat-interval': string;
  'lease-duration': string;
  'handover-margin': string;
  'self-fencing': boolean;
  'peer-fencing': boolean;
  'peer-port'?: number;
  'leader-elect-lease-duration': string;
  'leader-elect-renew-deadline': string;
  'leader-elect-retry-period': string;
  'healthz-bind-address': string;
  'metrics-bind-address': string;
  'dry-run': boolean;
  'log-level': LogLevel;
  'log-pretty'?: boolean;
}

/** `30s`, `1m`, `500ms`, `1.5s`, `1h` → milliseconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text.trim());
  if (!match) throw new Error(`invalid duration ${JSON.stringify(text)} (use e.g. 500ms, 30s, 1m)`);
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[match[2] as 'ms' | 's' | 'm' | 'h'];
  return Number(match[1]) * unit;
}

const ms = (value: number): string => `${value}ms`;

export const runCommand: CommandModule<object, RunArgs> = {
  command: 'run',
  describe:
    'Run the node agent: watch the cluster and keep this node’s datapath in line with the Egress policies',
  builder: (yargs: Argv) =>
    addBackendOptions(
      yargs
        .option('backend', {
          type: 'string',
          demandOption: true,
          describe: 'Backend: built-in name (iptables, ipvs, ebpf, calico), module name or path',
        })
        .option('node-name', {
          type: 'string',
          default: process.env.NODE_NAME,
          defaultDescription: '$NODE_NAME',
          describe: 'This node’s name (required for node backends)',
        })
        .option('kubeconfig', {
          type: 'string',
          describe: 'Path to a kubeconfig; default: in-cluster config, then $KUBECONFIG / ~/.kube/config',
        })
        .option('namespace', {
          type: 'string',
          default: process.env.POD_NAMESPACE ?? DEFAULT_AGENT_OPTIONS.namespace,
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
          default: ms(DEFAULT_AGENT_OPTIONS.syncPeriodMs),
          describe: 'Maximum time between two syncs of the datapath (drift repair)',
        })
        .option('min-sync-period', {
          type: 'string',
          default: ms(DEFAULT_AGENT_OPTIONS.minSyncPeriodMs),
          describe: 'Minimum time between two syncs (changes are batched)',
        })
        .option('heartbeat-interval', {
          type: 'string',
          default: ms(DEFAULT_AGENT_OPTIONS.heartbeatIntervalMs),
          describe: 'How often this node renews its heartbeat lease',
        })
        .option('lease-duration', {
          type: 'string',
          default: ms(DEFAULT_AGENT_OPTIONS.leaseDurationMs),
          describe: 'Heartbeat lease duration: a gateway silent this long is failed over (whole seconds)',
        })
        .option('handover-margin', {
          type: 'string',
          default: ms(DEFAULT_AGENT_OPTIONS.handoverMarginMs),
          describe: 'A new gateway claims an IP this long after the previous owner’s lease expired',
        })
        .option('self-fencing', {
          type: 'boolean',
          default: true,
          describe:
            'Withdraw this node’s egress IPs when its heartbeat cannot be renewed (see docs/failover.md)',
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
          default: ms(DEFAULT_AGENT_OPTIONS.leaderElection.leaseDurationMs),
          describe: 'Leader lease duration (status writer, cluster-scope backends)',
        })
        .option('leader-elect-renew-deadline', {
          type: 'string',
          default: ms(DEFAULT_AGENT_OPTIONS.leaderElection.renewDeadlineMs),
          describe: 'A leader that cannot renew this long steps down',
        })
        .option('leader-elect-retry-period', {
          type: 'string',
          default: ms(DEFAULT_AGENT_OPTIONS.leaderElection.retryPeriodMs),
          describe: 'Time between leader election attempts',
        })
        .option('healthz-bind-address', {
          type: 'string',
          default: '0.0.0.0:10266',
          describe: 'HOST:PORT of /healthz and /livez (empty: off)',
        })
        .option('metrics-bind-address', {
          type: 'string',
          default: '127.0.0.1:10269',
          describe: 'HOST:PORT of /metrics (empty: off)',
        })
        .option('dry-run', {
          type: 'boolean',
          default: false,
          describe: 'Log the commands that would change the host instead of running them',
        })
        .option('log-pretty', {
          type: 'boolean',
          default: false,
          describe: 'One readable line per log record instead of JSON (for a terminal)',
        })
        .option('log-level', {
          choices: ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const,
          default: 'info' as const,
          describe: 'Log level',
        }),
      preloadedBackend()?.plugin,
    ) as unknown as Argv<RunArgs>,
  handler: async (args) => {
    const agentRun = await startAgentFromArgs(args as RunArgs & Record<string, unknown>);
    await new Promise<void>((resolve) => {
      let stopping = false;
      // process.on, not once: with `once` the handler is gone after the first signal, and signal-exit (from
      // execa) re-raises the signal, killing the process before the agent has stopped.
      const stop = (signal: NodeJS.Signals): void => {
        if (stopping) {
          agentRun.logger.warn({ signal }, 'second signal: exiting without waiting');
          process.exit(1);
        }
        stopping = true;
        agentRun.logger.info({ signal }, 'stopping (the datapath is left in place)');
        void agentRun.stop().then(resolve);
      };
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
    });
    agentRun.logger.info('stopped');
    process.exit(0);
  },
};

export interface RunningAgentProcess {
  agent: Agent;
  logger: ReturnType<typeof createLogger>;
  healthz?: ListeningServer;
  metrics?: ListeningServer;
  stop(): Promise<void>;
}

export function loadKubeConfig(path: string | undefined): KubeConfig {
  const kubeConfig = new KubeConfig();
  if (path) kubeConfig.loadFromFile(path);
  else if (process.env.KUBERNETES_SERVICE_HOST) kubeConfig.loadFromCluster();
  else kubeConfig.loadFromDefault();
  return kubeConfig;
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
    selfFencing: args['self-fencing'],
    peerFencing: args['peer-fencing'],
    peerPort: peerPortFromArgs(args),
    leaseWatchdogMs: 2 * leaseDurationMs,
    leaderElection: {
      ...DEFAULT_AGENT_OPTIONS.leaderElection,
      ...leaderElection,
    },
    pluginOptions,
  };
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

export async function startAgentFromArgs(
  args: RunArgs & Record<string, unknown>,
): Promise<RunningAgentProcess> {
  const logger = createLogger({ level: args['log-level'], pretty: args['log-pretty'] === true });
  const plugin = await backendPlugin(args.backend);
  if (plugin.scope === 'node' && !args['node-name'])
    throw new Error(
      `backend ${plugin.name} runs on every node: set --node-name or $NODE_NAME (the DaemonSet sets it from spec.nodeName)`,
    );
  const pluginOptions = backendOptionValues(plugin, args);
  const options = agentOptionsFromArgs(args, pluginOptions);
  const container = createContainer({ logger, plugin, pluginOptions, dryRun: args['dry-run'] });
  const metrics = new AgentMetrics({ processMetrics: true });
  const agent = new Agent(options, {
    kubeConfig: loadKubeConfig(args.kubeconfig),
    plugin,
    exec: resolveService(container, TOKENS.Exec),
    logger,
    clock: resolveService(container, TOKENS.Clock),
    metrics,
  });
  const sources = {
    healthz: () => agent.healthz(),
    livez: () => agent.livez(),
    peerApiStatus: () => agent.peerApiStatus(),
    metrics: metrics.registry,
  };
  const healthzAddress = args['healthz-bind-address'];
  const metricsAddress = args['metrics-bind-address'];
  // One server when both flags name the same fixed address (port 0 means two ephemeral ports).
  const shared = healthzAddress !== '' && healthzAddress === metricsAddress && !healthzAddress.endsWith(':0');
  const healthz = healthzAddress
    ? await serveEndpoints(
        healthzAddress,
        shared
          ? sources
          : { healthz: sources.healthz, livez: sources.livez, peerApiStatus: sources.peerApiStatus },
      )
    : undefined;
  const metricsServer =
    metricsAddress && !shared
      ? await serveEndpoints(metricsAddress, { metrics: metrics.registry })
      : undefined;
  logger.info(
    { backend: plugin.name, node: options.nodeName, namespace: options.namespace, dryRun: args['dry-run'] },
    'starting',
  );
  void agent.start().catch((error: unknown) => logger.error({ err: error }, 'agent failed to start'));
  return {
    agent,
    logger,
    healthz,
    metrics: metricsServer,
    stop: async () => {
      await agent.stop();
      await healthz?.close();
      await metricsServer?.close();
    },
  };
}
