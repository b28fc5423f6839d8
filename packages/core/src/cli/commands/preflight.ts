// `egress-proxier preflight --backend X`: the checks `run` makes before it starts (the backend probes the
// tools and kernel features it needs), printed as a table or JSON, with exit code 1 when one fails. Nothing
// on the host is changed and no cluster is needed (except by a cluster-scope backend that checks its API).
import type { Argv, CommandModule } from 'yargs';
import { runPreflight, type PreflightOutcome } from '../../plugin/preflight.js';
import type { ProxierContext } from '../../plugin/proxier.js';
import { backendCommandFlags, type BackendCommandArgs } from '../agent-flags.js';
import {
  addBackendOptions,
  backendOptionValues,
  backendPlugin,
  preloadedBackend,
} from '../backend-options.js';
import { formatPreflight } from '../format-preflight.js';

export interface PreflightArgs extends Omit<BackendCommandArgs, 'dry-run'> {
  output: 'table' | 'json';
}

export const preflightCommand: CommandModule<object, PreflightArgs> = {
  command: 'preflight',
  describe: 'Check that this host has the tools and kernel features the backend needs, as run does first',
  builder: (yargs: Argv) =>
    addBackendOptions(
      backendCommandFlags(
        yargs,
        {
          backend: 'Backend to check: built-in name (iptables, calico), module name or path',
          kubeconfig: 'Kubeconfig, for cluster-scope backends that check their API',
          nodeName: 'This node’s name, for backends whose checks depend on it',
        },
        { dryRun: false, logLevel: 'error' },
      )
        .option('output', {
          alias: 'o',
          choices: ['table', 'json'] as const,
          default: 'table' as const,
          describe: 'Output format',
        })
        .example('$0 preflight --backend iptables', 'what this node lacks for the iptables backend')
        .example('$0 preflight --backend ./my-backend.js -o json', 'the same report as JSON')
        .epilogue(
          [
            'The backend probes what it needs (commands, kernel modules, sysctls) and reports one check per item: ok, FAIL (run refuses to start, with the same reason) or warning (run starts anyway). Backend options (--<backend>-<option>) change what is checked, as they do for run. Probes only read: nothing on the host is changed. Run it as the agent runs (as root, on the node) for a true answer.',
            'Exit code: 0 when no check failed (warnings allowed) or the backend declares no checks; 1 when a check failed or the backend could not be loaded.',
          ].join('\n\n'),
        ),
      preloadedBackend()?.plugin,
    ) as unknown as Argv<PreflightArgs>,
  handler: async (args) => {
    const outcome = await preflightOutcome(args as PreflightArgs & Record<string, unknown>);
    process.stdout.write(
      args.output === 'json' ? JSON.stringify(outcome, null, 2) + '\n' : formatPreflight(outcome),
    );
    if (!outcome.ok) process.exitCode = 1;
  },
};

export async function preflightOutcome(
  args: PreflightArgs & Record<string, unknown>,
): Promise<PreflightOutcome> {
  const { createLogger, createContainer, TOKENS, resolveService, loadKubeConfig } =
    await import('../command-runtime.js');
  const logger = createLogger({ level: args['log-level'], pretty: args['log-pretty'] === true });
  const plugin = await backendPlugin(args.backend);
  const pluginOptions = backendOptionValues(plugin, args);
  const container = createContainer({ logger, plugin, pluginOptions });
  const context: ProxierContext = {
    nodeName: args['node-name'] ?? '',
    exec: resolveService(container, TOKENS.Exec),
    logger: logger.child({ backend: plugin.name }),
    clock: resolveService(container, TOKENS.Clock),
    options: pluginOptions,
    // Only a cluster-scope preflight may need the API; none at all should not fail for want of a kubeconfig.
    ...(plugin.scope === 'cluster' && plugin.preflight
      ? { kubeConfig: loadKubeConfig(args.kubeconfig) }
      : {}),
  };
  return runPreflight(plugin, context);
}
