// `egress-proxier cleanup --backend X`: removes everything the backend ever programmed on this node (and
// nothing else), like `kube-proxy --cleanup`. No cluster access is needed for node backends.
import type { Argv, CommandModule } from 'yargs';
import { backendCommandFlags, type BackendCommandArgs } from '../agent-flags.js';
import {
  addBackendOptions,
  backendOptionValues,
  backendPlugin,
  preloadedBackend,
} from '../backend-options.js';

export type CleanupArgs = BackendCommandArgs;

export const cleanupCommand: CommandModule<object, CleanupArgs> = {
  command: 'cleanup',
  describe:
    'Remove everything the backend programmed on this node (rules, sets, addresses), and nothing else',
  builder: (yargs: Argv) =>
    addBackendOptions(
      backendCommandFlags(yargs, {
        backend: 'Backend whose datapath to remove',
        kubeconfig: 'Kubeconfig, for cluster-scope backends',
      }),
      preloadedBackend()?.plugin,
    ) as unknown as Argv<CleanupArgs>,
  handler: async (args) => {
    await runCleanup(args as CleanupArgs & Record<string, unknown>);
  },
};

export async function runCleanup(args: CleanupArgs & Record<string, unknown>): Promise<void> {
  const { createLogger, createContainer, TOKENS, resolveService, loadKubeConfig } =
    await import('../command-runtime.js');
  const logger = createLogger({ level: args['log-level'], pretty: args['log-pretty'] === true });
  const plugin = await backendPlugin(args.backend);
  const pluginOptions = backendOptionValues(plugin, args);
  const container = createContainer({ logger, plugin, pluginOptions, dryRun: args['dry-run'] });
  const context = {
    nodeName: args['node-name'] ?? '',
    exec: resolveService(container, TOKENS.Exec),
    logger: logger.child({ backend: plugin.name }),
    clock: resolveService(container, TOKENS.Clock),
    options: pluginOptions,
    ...(plugin.scope === 'cluster' ? { kubeConfig: loadKubeConfig(args.kubeconfig) } : {}),
  };
  const proxier = await plugin.create(context);
  await proxier.cleanup(AbortSignal.timeout(120_000));
  logger.info({ backend: plugin.name }, 'cleanup done');
}
