// `--backend=NAME`: one mechanism for built-in and third-party backends. A built-in name maps to its
// package; anything else is a module name or a path; in every case the module is imported and must export
// a plugin as `default` or `plugin`.
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BUILT_IN_BACKENDS } from './built-in-backends.js';
import { packageEntry } from './package-entry.js';
import type { ProxierPlugin } from './proxier.js';
import { validateProxierPlugin } from './validate-plugin.js';

/** Imports a module by specifier; injected in tests to simulate missing or broken packages. */
export type ModuleImporter = (specifier: string) => Promise<unknown>;

export interface LoadPluginOptions {
  /** `--backend` name → package; defaults to the backends this project ships. */
  builtIns?: Readonly<Record<string, string>>;
  importer?: ModuleImporter;
  /** Base of relative paths; defaults to the process's working directory. */
  cwd?: string;
}

/** Where a `--backend` value points. */
export type PluginSource =
  | { kind: 'built-in'; name: string; specifier: string }
  | { kind: 'module'; specifier: string }
  | { kind: 'path'; path: string; specifier: string };

export class PluginLoadError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PluginLoadError';
  }
}

const EXPECTED_SHAPE = 'expected default export or `plugin` with name, scope, capabilities, create, render';

const importModule: ModuleImporter = (specifier) => import(specifier) as Promise<unknown>;

/**
 * Paths start with `.` or `/` (relative to `cwd`; a package directory means its entry point); other values
 * are built-in names, then module names.
 */
export function resolvePluginSource(
  nameOrPath: string,
  builtIns: Readonly<Record<string, string>> = BUILT_IN_BACKENDS,
  cwd: string = process.cwd(),
): PluginSource {
  if (nameOrPath.startsWith('.') || nameOrPath.startsWith('/')) {
    const absolute = path.resolve(cwd, nameOrPath);
    // Import through a file URL: a bare absolute path is not a valid ESM specifier on every platform.
    return { kind: 'path', path: absolute, specifier: pathToFileURL(packageEntry(absolute)).href };
  }
  const builtIn = Object.hasOwn(builtIns, nameOrPath) ? builtIns[nameOrPath] : undefined;
  if (builtIn !== undefined) return { kind: 'built-in', name: nameOrPath, specifier: builtIn };
  return { kind: 'module', specifier: nameOrPath };
}

export async function loadProxierPlugin(
  nameOrPath: string,
  options: LoadPluginOptions = {},
): Promise<ProxierPlugin> {
  if (nameOrPath.trim() === '')
    throw new PluginLoadError('no backend given: use a built-in name, a module name or a path');
  const source = resolvePluginSource(nameOrPath, options.builtIns, options.cwd);
  const importer = options.importer ?? importModule;
  let loaded: unknown;
  try {
    loaded = await importer(source.specifier);
  } catch (error) {
    throw importFailure(nameOrPath, source, error);
  }
  const plugin = pluginFromModule(loaded, describeSource(nameOrPath, source));
  if (source.kind === 'built-in' && plugin.name !== source.name) {
    throw new PluginLoadError(
      `package ${source.specifier} exports plugin '${plugin.name}', but backend '${source.name}' was requested`,
    );
  }
  return plugin;
}

function pluginFromModule(loaded: unknown, description: string): ProxierPlugin {
  const exports = typeof loaded === 'object' && loaded !== null ? (loaded as Record<string, unknown>) : {};
  const candidates = (['default', 'plugin'] as const).filter((key) => exports[key] !== undefined);
  const problems: string[] = [];
  for (const key of candidates) {
    const validation = validateProxierPlugin(exports[key]);
    if ('plugin' in validation) return validation.plugin;
    problems.push(
      ...validation.problems.map(
        (problem) => `${key === 'default' ? 'default export' : '`plugin`'}: ${problem}`,
      ),
    );
  }
  const detail = problems.length === 0 ? 'it exports neither' : problems.join('; ');
  return failWith(
    `module ${description} does not export an egress-proxier plugin (${EXPECTED_SHAPE}): ${detail}`,
  );
}

function importFailure(nameOrPath: string, source: PluginSource, error: unknown): PluginLoadError {
  if (isNotFoundOf(error, source)) {
    switch (source.kind) {
      case 'built-in':
        return new PluginLoadError(
          `backend '${source.name}' is built in but its package ${source.specifier} is not installed`,
          { cause: error },
        );
      case 'path':
        return new PluginLoadError(`module ${nameOrPath} not found (looked for ${source.path})`, {
          cause: error,
        });
      case 'module':
        return new PluginLoadError(
          `module '${nameOrPath}' not found (not a built-in backend: ${Object.keys(BUILT_IN_BACKENDS).join(', ')})`,
          { cause: error },
        );
    }
  }
  // The module exists but failed to load: a missing dependency of its own, a syntax error, a throw.
  const reason = error instanceof Error ? error.message : String(error);
  return new PluginLoadError(`module ${describeSource(nameOrPath, source)} could not be loaded: ${reason}`, {
    cause: error,
  });
}

/** True when the import failed because the plugin module itself is missing (not one of its imports). */
function isNotFoundOf(error: unknown, source: PluginSource): boolean {
  const { code, message } = (typeof error === 'object' && error !== null ? error : {}) as {
    code?: unknown;
    message?: unknown;
  };
  if (code !== 'ERR_MODULE_NOT_FOUND' || typeof message !== 'string') return false;
  const missing = source.kind === 'path' ? fileURLToPath(source.specifier) : packageName(source.specifier);
  return message.includes(`'${missing}'`);
}

/** `@scope/name/sub` → `@scope/name`, `name/sub` → `name`: what Node names when a package is missing. */
function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return (specifier.startsWith('@') ? parts.slice(0, 2) : parts.slice(0, 1)).join('/');
}

function describeSource(nameOrPath: string, source: PluginSource): string {
  return source.kind === 'built-in' ? `${source.specifier} (built-in backend '${source.name}')` : nameOrPath;
}

function failWith(message: string): never {
  throw new PluginLoadError(message);
}
