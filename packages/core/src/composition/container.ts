// The composition root: the one place that decides which implementation backs each seam. Classes take
// their dependencies as constructor parameters (no decorators, no container lookups); this file wires them.
import { Container } from 'inversify';
import type { Logger } from 'pino';
import { DryRunExec } from '../exec/dry-run-exec.js';
import type { Exec } from '../exec/exec.js';
import { ExecaExec } from '../exec/execa-exec.js';
import type { PluginOptionValues, ProxierPlugin } from '../plugin/proxier.js';
import { systemClock, type Clock } from '../runner/clock.js';
import { TOKENS } from './tokens.js';

export interface CompositionOptions {
  logger: Logger;
  /** Runs host commands; execa by default. Tests pass a RecordingExec. */
  exec?: Exec;
  clock?: Clock;
  /** Log and skip every command that would change the host; read-only commands still run. */
  dryRun?: boolean;
  plugin?: ProxierPlugin;
  pluginOptions?: PluginOptionValues;
}

export function createContainer(options: CompositionOptions): Container {
  const container = new Container({ defaultScope: 'Singleton' });
  container.bind<Logger>(TOKENS.Logger).toConstantValue(options.logger);
  container.bind<Clock>(TOKENS.Clock).toConstantValue(options.clock ?? systemClock);
  container
    .bind<Exec>(TOKENS.Exec)
    .toResolvedValue(
      (logger: Logger): Exec => {
        const host = options.exec ?? new ExecaExec(logger.child({ component: 'exec' }));
        return options.dryRun === true ? new DryRunExec(logger.child({ component: 'dry-run' }), host) : host;
      },
      [TOKENS.Logger],
    )
    .inSingletonScope();
  if (options.plugin !== undefined)
    container.bind<ProxierPlugin>(TOKENS.ProxierPlugin).toConstantValue(options.plugin);
  container.bind<PluginOptionValues>(TOKENS.ProxierOptions).toConstantValue(options.pluginOptions ?? {});
  return container;
}
