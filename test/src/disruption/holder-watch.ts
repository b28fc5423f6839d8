// Polls which nodes hold an egress IP, as often as `intervalMs`, and remembers every sample: when the old
// holder lost it, when another node gained it, and whether two nodes ever held it in the same sample.
import type { LiveCluster } from '../../../scripts/demo/live-cluster.mjs';

export interface HolderSample {
  at: number;
  holders: string[];
}

export interface HandOver {
  /** First sample without the old holder. */
  goneAt: number;
  /** First sample with another holder, and which. */
  claimedAt: number;
  newHolder: string;
  /** Samples in which more than one node held the IP. */
  overlaps: HolderSample[];
  samples: number;
  /** Longest time between two consecutive samples (the resolution actually achieved). */
  longestIntervalMs: number;
}

export async function watchHandOver(
  live: LiveCluster,
  ip: string,
  oldHolder: string,
  /** keepWatchingMs: how long to go on sampling after the claim (the old holder must not come back). */
  options: { intervalMs: number; timeoutMs: number; keepWatchingMs: number },
): Promise<HandOver> {
  const samples: HolderSample[] = [];
  const deadline = Date.now() + options.timeoutMs;
  let gone: HolderSample | undefined;
  let claimed: HolderSample | undefined;
  while (gone === undefined || claimed === undefined || Date.now() < claimed.at + options.keepWatchingMs) {
    if (Date.now() > deadline) {
      const last = samples[samples.length - 1];
      throw new Error(
        `${ip} did not move from ${oldHolder} within ${options.timeoutMs} ms (last sample: ${last?.holders.join(', ') || 'nobody'})`,
      );
    }
    const at = Date.now();
    const sample = { at, holders: await live.holders(ip) };
    samples.push(sample);
    if (gone === undefined && !sample.holders.includes(oldHolder)) gone = sample;
    if (claimed === undefined && sample.holders.some((node) => node !== oldHolder)) claimed = sample;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, at + options.intervalMs - Date.now())));
  }
  let longestIntervalMs = 0;
  for (let index = 1; index < samples.length; index++) {
    const previous = samples[index - 1];
    const current = samples[index];
    if (previous && current) longestIntervalMs = Math.max(longestIntervalMs, current.at - previous.at);
  }
  return {
    goneAt: gone.at,
    claimedAt: claimed.at,
    newHolder: claimed.holders.find((node) => node !== oldHolder) ?? '',
    overlaps: samples.filter((sample) => sample.holders.length > 1),
    samples: samples.length,
    longestIntervalMs,
  };
}

/** Samples the holders of `ip` every `intervalMs` until stop(), which returns every sample. */
export function sampleHolders(
  live: LiveCluster,
  ip: string,
  intervalMs: number,
): { stop(): Promise<HolderSample[]> } {
  const samples: HolderSample[] = [];
  let stopped = false;
  const sampling = (async () => {
    while (!stopped) {
      const at = Date.now();
      samples.push({ at, holders: await live.holders(ip) });
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, at + intervalMs - Date.now())));
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await sampling;
      return samples;
    },
  };
}
