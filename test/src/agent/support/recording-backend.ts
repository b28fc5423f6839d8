// A node backend for tests: records every table it is asked to program (with the time), and every
// heartbeat, instead of touching a kernel.
import {
  ALL_CAPABILITIES,
  type NodeEgressTable,
  type NodeProxierPlugin,
  type ProxierContext,
} from '@egress-proxier/core';

export interface RecordedSync {
  /** performance.now() when sync was called. */
  at: number;
  table: NodeEgressTable;
}

export class RecordingBackend {
  readonly syncs: RecordedSync[] = [];
  readonly heartbeats: number[] = [];
  /** performance.now() of each heartbeat (kernel-lifetime renewal). */
  readonly heartbeatTimes: number[] = [];
  cleanups = 0;
  /** What the agent created the proxier with. */
  context: ProxierContext | undefined;

  readonly plugin: NodeProxierPlugin = {
    name: 'recording',
    description: 'records tables (tests)',
    scope: 'node',
    capabilities: ALL_CAPABILITIES,
    create: (context) => {
      this.context = context;
      return {
        sync: async (table) => {
          this.syncs.push({ at: performance.now(), table: structuredClone(table) });
          return { changed: true };
        },
        heartbeat: async (lifetimeSeconds) => {
          this.heartbeats.push(lifetimeSeconds);
          this.heartbeatTimes.push(performance.now());
        },
        cleanup: async () => {
          this.cleanups++;
        },
      };
    },
    render: () => ({ sections: [] }),
  };

  get last(): NodeEgressTable | undefined {
    return this.syncs.at(-1)?.table;
  }

  hosted(): string[] {
    return (this.last?.hostedEgressIPs ?? []).map((h) => h.ip);
  }

  /** Time of the first sync after `since` whose table satisfies `predicate`. */
  firstSync(since: number, predicate: (table: NodeEgressTable) => boolean): number | undefined {
    return this.syncs.find((s) => s.at >= since && predicate(s.table))?.at;
  }
}
