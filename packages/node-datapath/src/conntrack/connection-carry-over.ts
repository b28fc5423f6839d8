// Runs the conntrack deletions of connection-actions.ts after each applied table, so a node's established
// connections follow an egress IP that moved (here, away, or off a gateway that is no longer steered to).
// It runs after the new rules are in place: a packet taken up earlier would be decided by the old ones again.
import type { NodeEgressTable } from '@egress-proxier/core';
import type { Logger } from 'pino';
import type { CommandRunner } from '../exec/command-runner.js';
import { commandLine } from '../exec/command.js';
import type { SteeringRoute } from '../steering/steering-route.js';
import { carryOverCommands, connectionActions, type ConnectionActions } from './connection-actions.js';

/** conntrack's answer when a deletion's filter matched nothing: exit code 1, and this on stderr. */
const NOTHING_DELETED = /\b0 flow entries have been deleted/;

export class ConnectionCarryOver {
  /** The actions of the last applied table; undefined before the first (a restart adopts, it moves nothing). */
  private applied: ConnectionActions | undefined;

  constructor(private readonly logger: Logger) {}

  /**
   * After `table` was applied with `routes`: deletes the entries its changes make wrong. Returns the commands
   * run. A failure (conntrack missing, say) is logged, not thrown: the table is in place and new connections
   * are right; only the established ones of the moved IPs are lost, as they would be without this step.
   */
  async afterApply(
    runner: CommandRunner,
    table: NodeEgressTable,
    routes: readonly SteeringRoute[],
  ): Promise<number> {
    const actions = connectionActions(table, routes);
    const before = this.applied;
    this.applied = actions;
    if (before === undefined) return 0;
    const commands = carryOverCommands(before, actions);
    for (const command of commands) {
      try {
        const result = await runner.run(command, { allowedExitCodes: [1] });
        if (result.exitCode === 1 && !NOTHING_DELETED.test(result.stderr))
          throw new Error(result.stderr.trim() || 'exit code 1');
      } catch (error) {
        this.logger.warn(
          { command: commandLine(command), err: error },
          'could not move established connections to the new egress action; they will break',
        );
      }
    }
    return commands.length;
  }

  /** After a cleanup: nothing is applied any more. */
  forget(): void {
    this.applied = undefined;
  }
}
