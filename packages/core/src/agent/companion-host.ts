// Runs a plugin's companion (a service on every agent, leader or not, e.g. Calico's pod webhook): started
// once the informers have listed, stopped with the agent. A companion that cannot start leaves the agent
// running (the datapath does not depend on it) but unready, so a Service stops sending it requests.
import type { Logger } from 'pino';
import type { Companion, CompanionContext, ProxierPlugin } from '../plugin/proxier.js';

export type CompanionState = 'none' | 'starting' | 'running' | 'failed' | 'stopped';

export class CompanionHost {
  private companion: Companion | undefined;
  private starting: Promise<void> | undefined;
  private state: CompanionState;
  private failure: string | undefined;

  constructor(
    private readonly plugin: ProxierPlugin,
    private readonly context: CompanionContext,
    private readonly logger: Logger,
  ) {
    this.state = typeof plugin.companion === 'function' ? 'starting' : 'none';
  }

  /** Starts the companion in the background; failures are logged and reported by `health`. */
  start(): void {
    const factory = this.plugin.companion;
    if (typeof factory !== 'function' || this.starting !== undefined) return;
    this.starting = (async () => {
      try {
        const companion = await factory.call(this.plugin, this.context);
        if (this.state === 'stopped') {
          await companion.stop();
          return;
        }
        this.companion = companion;
        this.state = 'running';
        this.logger.info('backend companion started');
      } catch (error) {
        if (this.state === 'stopped') return;
        this.state = 'failed';
        this.failure = error instanceof Error ? error.message : String(error);
        this.logger.error({ err: error }, 'backend companion failed to start');
      }
    })();
  }

  async stop(): Promise<void> {
    const wasStarted = this.state !== 'none';
    this.state = 'stopped';
    await this.starting;
    const companion = this.companion;
    this.companion = undefined;
    if (!wasStarted || companion === undefined) return;
    try {
      await companion.stop();
    } catch (error) {
      this.logger.warn({ err: error }, 'backend companion failed to stop cleanly');
    }
  }

  /** For /healthz: unhealthy only when a companion exists and failed to start. */
  health(): { healthy: boolean; details: Record<string, string> } {
    if (this.state === 'none') return { healthy: true, details: {} };
    return {
      healthy: this.state !== 'failed',
      details: { companion: this.failure === undefined ? this.state : `failed: ${this.failure}` },
    };
  }
}
