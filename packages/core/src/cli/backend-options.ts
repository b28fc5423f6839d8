// Backend flags on the command line. The backend is known only once `--backend` is read, so main.ts
// peeks at it, loads the plugin before yargs builds the commands, and the commands add the plugin's
// options (`--<backend>-<option>`, kube-proxy's `--iptables-*` style) so `--help` lists them.
import type { Argv } from 'yargs';
import { loadProxierPlugin } from '../plugin/load-plugin.js';
import type { PluginOptionValues, ProxierPlugin } from '../plugin/proxier.js';

/** The value of `--backend` in raw argv, if any (`--backend X` or `--backend=X`). */
export function peekBackend(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') return undefined;
    if (arg.startsWith('--backend=')) return arg.slice('--backend='.length);
    if (arg === '--backend') return argv[i + 1];
  }
  return undefined;
}

export function backendFlag(plugin: ProxierPlugin, option: string): string {
  return `${plugin.name}-${option.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** Adds the plugin's options to a command, grouped under the backend's name in `--help`. */
export function addBackendOptions<T>(yargs: Argv<T>, plugin: ProxierPlugin | undefined): Argv<T> {
  if (!plugin?.options) return yargs;
  for (const [name, option] of Object.entries(plugin.options)) {
    yargs.option(backendFlag(plugin, name), {
      type: option.type,
      describe: option.description,
      default: option.default,
      choices: option.choices ? [...option.choices] : undefined,
      group: `Backend ${plugin.name}:`,
    });
  }
  return yargs;
}

/** The plugin's option values from parsed arguments, keyed by the plugin's own option names. */
export function backendOptionValues(
  plugin: ProxierPlugin,
  args: Record<string, unknown>,
): PluginOptionValues {
  const values: Record<string, string | number | boolean | undefined> = {};
  for (const name of Object.keys(plugin.options ?? {})) {
    values[name] = args[backendFlag(plugin, name)] as string | number | boolean | undefined;
  }
  return values;
}

/** Set by main.ts before the commands are built; commands read it to describe backend options. */
let preloaded: { name: string; plugin: ProxierPlugin } | undefined;

export function setPreloadedBackend(value: { name: string; plugin: ProxierPlugin }): void {
  preloaded = value;
}

export function preloadedBackend(): { name: string; plugin: ProxierPlugin } | undefined {
  return preloaded;
}

/** The plugin for `--backend`: the one main.ts already loaded, or loaded now (commands run programmatically). */
export async function backendPlugin(nameOrPath: string): Promise<ProxierPlugin> {
  return preloaded?.name === nameOrPath ? preloaded.plugin : loadProxierPlugin(nameOrPath);
}
