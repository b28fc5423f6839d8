// Service identifiers for the composition root. Only the root (and the glue that extends it) resolves
// them; everything else receives its dependencies as constructor parameters.
import type { Container } from 'inversify';
import type { Logger } from 'pino';
import type { Exec } from '../exec/exec.js';
import type { Clock } from '../runner/clock.js';
import type { PluginOptionValues, ProxierPlugin } from '../plugin/proxier.js';

/** A symbol that carries the type bound to it, so that resolving it is typed. */
export type Token<T> = symbol & { readonly __boundType?: T };

/** `Symbol.for`: two copies of core loaded side by side (core and a plugin's own) still agree on tokens. */
function token<T>(name: string): Token<T> {
  return Symbol.for(`egress-proxier:${name}`) as Token<T>;
}

export const TOKENS = {
  Logger: token<Logger>('Logger'),
  Exec: token<Exec>('Exec'),
  Clock: token<Clock>('Clock'),
  /** The `--backend` plugin, once loaded. */
  ProxierPlugin: token<ProxierPlugin>('ProxierPlugin'),
  /** The plugin's option values from `--<plugin>-<option>` flags. */
  ProxierOptions: token<PluginOptionValues>('ProxierOptions'),
} as const;

/** Typed resolution at the root. */
export function resolveService<T>(container: Container, serviceToken: Token<T>): T {
  return container.get<T>(serviceToken);
}
