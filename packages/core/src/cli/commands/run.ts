// `egress-proxier run`: the node agent. Flags (cli/agent-flags.ts) → options → an Agent with its health and
// metrics endpoints. A start that fails (a backend option the backend refuses, a kubeconfig that is not one,
// a failed preflight check) exits non-zero with the reason, so kubelet restarts the container and the user
// sees why; SIGTERM stops the agent with the restart hold, leaving the datapath in place.
import type { Argv, CommandModule } from 'yargs';
import type { Agent } from '../../agent/agent.js';
import type { createLogger } from '../../logging/logger.js';
import type { ListeningServer } from '../../observability/http-endpoints.js';
import { agentFlags, agentOptionsFromArgs, backendCommandFlags, type RunArgs } from '../agent-flags.js';
import {
  addBackendOptions,
  backendOptionValues,
  backendPlugin,
  preloadedBackend,
} from '../backend-options.js';

export const runCommand: CommandModule<object, RunArgs> = {
  command: 'run',
  describe:
    'Run the node agent: watch the cluster and keep this node’s datapath in line with the Egress policies',
  builder: (yargs: Argv) =>
    addBackendOptions(
      agentFlags(
        backendCommandFlags(yargs, {
          backend: 'Backend: built-in name (iptables, calico), module name or path',
          kubeconfig: 'Path to a kubeconfig; default: in-cluster config, then $KUBECONFIG / ~/.kube/config',
        }),
      ).epilogue(
        'Before anything else, run runs the backend’s preflight checks (the tools and kernel features it needs; see `egress-proxier preflight --backend X`) and exits with code 1, naming each failed check and what to do, when one fails. Any start that cannot succeed (a refused backend option, a bad kubeconfig) exits 1 with the reason; SIGTERM stops the agent and leaves the datapath in place.',
      ),
      preloadedBackend()?.plugin,
    ) as unknown as Argv<RunArgs>,
  handler: async (args) => {
    const agentRun = await startAgentFromArgs(args as RunArgs & Record<string, unknown>);
    const { logger } = agentRun;
    const exitCode = await new Promise<number>((resolve) => {
      let stopping = false;
      // process.on, not once: with `once` the handler is gone after the first signal, and signal-exit (from
      // execa) re-raises the signal, killing the process before the agent has stopped.
      const stop = (signal: NodeJS.Signals): void => {
        if (stopping) {
          logger.warn({ signal }, 'second signal: exiting without waiting');
          process.exit(1);
        }
        stopping = true;
        logger.info({ signal }, 'stopping (the datapath is left in place)');
        void agentRun.stop().then(() => resolve(0));
      };
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
      agentRun.started.catch((error: unknown) => {
        logger.fatal({ err: error }, `the agent could not start: ${(error as Error).message}`);
        stopping = true;
        void agentRun.stop().finally(() => resolve(1));
      });
    });
    logger.info({ exitCode }, 'stopped');
    process.exit(exitCode);
  },
};

export interface RunningAgentProcess {
  agent: Agent;
  logger: ReturnType<typeof createLogger>;
  healthz?: ListeningServer;
  metrics?: ListeningServer;
  /** Settles when the agent has started, or rejects with why it cannot (the process must then exit). */
  started: Promise<void>;
  stop(): Promise<void>;
}

export async function startAgentFromArgs(
  args: RunArgs & Record<string, unknown>,
): Promise<RunningAgentProcess> {
  const {
    createLogger,
    createContainer,
    TOKENS,
    resolveService,
    Agent,
    AgentMetrics,
    serveEndpoints,
    loadKubeConfig,
  } = await import('../command-runtime.js');
  const logger = createLogger({ level: args['log-level'], pretty: args['log-pretty'] === true });
  const plugin = await backendPlugin(args.backend);
  if (plugin.scope === 'node' && !args['node-name'])
    throw new Error(
      `backend ${plugin.name} runs on every node: set --node-name or $NODE_NAME (the DaemonSet sets it from spec.nodeName)`,
    );
  const pluginOptions = backendOptionValues(plugin, args);
  const options = agentOptionsFromArgs(args, pluginOptions);
  const kubeConfig = loadKubeConfig(args.kubeconfig);
  const container = createContainer({ logger, plugin, pluginOptions, dryRun: args['dry-run'] });
  const metrics = new AgentMetrics({ processMetrics: true });
  const agent = new Agent(options, {
    kubeConfig,
    plugin,
    exec: resolveService(container, TOKENS.Exec),
    // Preflight probes run for real under --dry-run: one the dry run skipped would pass without proof.
    ...(args['dry-run'] ? { probeExec: resolveService(createContainer({ logger }), TOKENS.Exec) } : {}),
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
  const started = agent.start();
  started.catch(() => undefined); // the caller decides (run exits); never an unhandled rejection
  return {
    agent,
    logger,
    healthz,
    metrics: metricsServer,
    started,
    stop: async () => {
      await agent.stop();
      await healthz?.close();
      await metricsServer?.close();
    },
  };
}
