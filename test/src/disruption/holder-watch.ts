// Polls which nodes hold an egress IP, as often as `intervalMs`, and remembers every sample. The verdicts
// (verdicts.ts) read the samples: two holders at once, the gateway without its IP, a hand-over.
import type { LiveCluster } from '../../../scripts/demo/live-cluster.mjs';

export interface HolderSample {
  at: number;
  holders: string[];
}

export interface HolderSampler {
  /** Every sample so far, in time order (read while sampling to wait for a state). */
  readonly samples: readonly HolderSample[];
  /** Stops sampling; resolves with every sample once the one in flight has finished. */
  stop(): Promise<HolderSample[]>;
}

/** Samples the holders of `ip` every `intervalMs` (or as fast as the machine allows) until stop(). */
export function sampleHolders(live: LiveCluster, ip: string, intervalMs: number): HolderSampler {
  const samples: HolderSample[] = [];
  let stopped = false;
  let failure: unknown;
  const sampling = (async () => {
    while (!stopped) {
      const at = Date.now();
      try {
        samples.push({ at, holders: await live.holders(ip) });
      } catch (error) {
        failure = error;
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, at + intervalMs - Date.now())));
    }
  })();
  return {
    samples,
    stop: async () => {
      stopped = true;
      await sampling;
      if (failure !== undefined) throw failure;
      return samples;
    },
  };
}
