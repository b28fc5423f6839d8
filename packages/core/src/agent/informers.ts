// The agent's informers, declared as data: which resource, from which path, converted how, and what an
// upsert or a delete does (usually: feed the model, ask for a sync). One Reflector per row, sharing the
// watch settings, the metrics hook and the "the API server answered" hook.
import type { Logger } from 'pino';
import type { Clock } from '../runner/clock.js';
import type { KubeClient } from '../kube/kube-client.js';
import type { AgentMetrics } from '../observability/agent-metrics.js';
import { Reflector, type ReflectorOrigin } from '../kube/reflector.js';

export interface InformerSpec<T> {
  /** For logs and metrics, e.g. `pods`. */
  resource: string;
  path: string;
  convert(object: unknown): T;
  labelSelector?: string;
  /** Overrides the shared watchdog (heartbeat leases change every interval, so they are judged sooner). */
  watchdogMs?: number;
  upsert(value: T, previous: T | undefined, origin: ReflectorOrigin): void;
  delete(previous: T): void;
}

export interface InformerSettings {
  watchdogMs: number;
  listTimeoutMs: number;
  watchBackoffInitialMs: number;
  watchBackoffMaxMs: number;
}

/** Binds a spec's element type; `Informers` holds rows of different types. */
export function informer<T>(spec: InformerSpec<T>): InformerSpec<unknown> {
  return spec as InformerSpec<unknown>;
}

export class Informers {
  private readonly reflectors = new Map<string, Reflector<unknown>>();

  constructor(
    client: KubeClient,
    settings: InformerSettings,
    specs: readonly InformerSpec<unknown>[],
    deps: {
      clock: Clock;
      logger: Logger;
      metrics: AgentMetrics;
      /**
       * A list request completed: the API server answers requests. Watch events and bookmarks do not count:
       * an open stream may go on delivering while new requests hang, and they prove nothing about those.
       */
      answered(): void;
    },
  ) {
    const observer = {
      watchRestarted: (resource: string, reason: string) =>
        deps.metrics.watchRestarts.inc({ resource, reason }),
      listed: () => deps.answered(),
    };
    for (const spec of specs) {
      const reflector = new Reflector<unknown>(
        client,
        {
          resource: spec.resource,
          path: spec.path,
          convert: spec.convert,
          labelSelector: spec.labelSelector,
          watchdogMs: spec.watchdogMs ?? settings.watchdogMs,
          backoffInitialMs: settings.watchBackoffInitialMs,
          backoffMaxMs: settings.watchBackoffMaxMs,
          listTimeoutMs: settings.listTimeoutMs,
        },
        {
          upsert: (_key, value, previous, origin) => spec.upsert(value, previous, origin),
          delete: (_key, previous) => spec.delete(previous),
        },
        deps.logger.child({ informer: spec.resource }),
        deps.clock,
        observer,
      );
      this.reflectors.set(spec.resource, reflector);
    }
  }

  /** The cache of one resource, e.g. to read an Egress's current status. */
  cache<T>(resource: string): Reflector<T> {
    const reflector = this.reflectors.get(resource);
    if (!reflector) throw new Error(`no informer for ${resource}`);
    return reflector as Reflector<T>;
  }

  get synced(): boolean {
    return [...this.reflectors.values()].every((reflector) => reflector.synced);
  }

  /** Cache sizes, for the log line that says what the agent starts from. */
  sizes(): Record<string, number> {
    return Object.fromEntries(
      [...this.reflectors].map(([resource, reflector]) => [resource, reflector.size]),
    );
  }

  start(): void {
    for (const reflector of this.reflectors.values()) reflector.start();
  }

  /** Resolves once every informer has listed once (an empty cache before that is not "nothing"). */
  async waitForSync(): Promise<void> {
    await Promise.all([...this.reflectors.values()].map((reflector) => reflector.waitForSync()));
  }

  stop(): void {
    for (const reflector of this.reflectors.values()) reflector.stop();
  }
}
