// `egress-proxier cleanup --backend X`: removes everything the backend ever programmed on this node (and
// nothing else), like `kube-proxy --cleanup`. No cluster access is needed for node backends.
import type { Argv, CommandModule } from 'yargs';
import { createLogger, type LogLevel } from '../../logging/logger.js';
import { createContainer } from '../../composition/container.js';
import { TOKENS, resolveService } from '../../composition/tokens.js';
import { systemClock } from '../../runner/clock.js';
import {
  addBackendOptions,
  backendOptionValues,
  backendPlugin,
  preloadedBackend,
} from '../backend-options.js';
import { loadKubeConfig } from './run.js';

export interface CleanupArgs {
  backend: string;
  'node-name'?: string;
  kubeconfig?: string;
  'dry-run': boolean;
  'log-level': LogLevel;
  'log-pretty'?: boolean;
}

export const cleanupCommand: CommandModule<object, CleanupArgs> = {
  command: 'cleanup',
  describe:
    'Remove everything the backend programmed on this node (rules, sets, addresses), and nothing else',
  builder: (yargs: Argv) =>
    addBackendOptions(
      yargs
        .option('backend', {
          type: 'string',
          demandOption: true,
          describe: 'Backend whose datapath to remove',
        })
        .option('node-name', {
          type: 'string',
          default: process.env.NODE_NAME,
          defaultDescription: '$NODE_NAME',
          describe: 'This node’s name',
        })
        .option('kubeconfig', { type: 'string', describe: 'Kubeconfig, for cluster-scope backends' })
        .option('dry-run', {
          type: 'boolean',
          default: false,
          describe: 'Log the commands instead of running them',
        })
        .option('log-pretty', {
          type: 'boolean',
          default: false,
          describe: 'One readable line per log record instead of JSON (for a terminal)',
        })
        .option('log-level', {
          choices: ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const,
          default: 'info' as const,
          describe: 'Log level (JSON logs on stderr)',
        }),
      preloadedBackend()?.plugin,
    ) as unknown as Argv<CleanupArgs>,
  handler: async (args) => {
    await runCleanup(args as CleanupArgs & Record<string, unknown>);
  },
};

export async function runCleanup(args: CleanupArgs & Record<string, unknown>): Promise<void> {
  const logger = createLogger({ level: args['log-level'], pretty: args['log-pretty'] === true });
  const plugin = await backendPlugin(args.backend);
  const pluginOptions = backendOptionValues(plugin, args);
  const container = createContainer({ logger, plugin, pluginOptions, dryRun: args['dry-run'] });
  const context = {
    nodeName: args['node-name'] ?? '',
    exec: resolveService(container, TOKENS.Exec),
    logger: logger.child({ backend: plugin.name }),
    clock: systemClock,
    options: pluginOptions,
    ...(plugin.scope === 'cluster' ? { kubeConfig: loadKubeConfig(args.kubeconfig) } : {}),
  };
  const proxier = await plugin.create(context);
  await proxier.cleanup(AbortSignal.timeout(120_000));
  logger.info({ backend: plugin.name }, 'cleanup done');
}
