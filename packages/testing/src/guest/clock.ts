// The guest's wall clock starts from the emulated RTC, up to a second or more off the host's; tests compare
// timestamps the guest reports (a probe's startedAt) with the host's (a case's phases). Set it to the host's.
import type { GuestChannel } from './channel.js';
import type { RunOutcome } from './protocol.js';

/** Close enough for timestamps judged against phases that last seconds; a step itself wobbles by ~10 ms. */
const GOOD_ENOUGH_MS = 5;
const SAMPLES = 5;

/** Guest minus host, in ms: the reading with the shortest round trip, against the middle of it. */
export async function clockOffset(channel: GuestChannel): Promise<number> {
  let best: { roundTrip: number; offset: number } | undefined;
  for (let sample = 0; sample < SAMPLES; sample++) {
    const { sentAt, guestAt, receivedAt } = await channel.readClock();
    const roundTrip = receivedAt - sentAt;
    if (best === undefined || roundTrip < best.roundTrip)
      best = { roundTrip, offset: guestAt - (sentAt + receivedAt) / 2 };
  }
  return best?.offset ?? 0;
}

/**
 * Steps the guest's clock by the measured offset, relative to its own now (`date -s 'now + N seconds'`, so
 * starting the exec does not count), and returns what is left of the offset. date reads the clock a few ms
 * before it sets it, so a step lands short by that lag: measured after the first step and added to the next.
 */
export async function syncClock(
  channel: GuestChannel,
  execute: (argv: readonly string[]) => Promise<RunOutcome>,
): Promise<number> {
  let offset = await clockOffset(channel);
  let lag = 0;
  for (let attempt = 0; attempt < 3 && Math.abs(offset) > GOOD_ENOUGH_MS; attempt++) {
    const step = lag - offset;
    const outcome = await execute([
      'date',
      '-s',
      `now ${step < 0 ? '-' : '+'} ${(Math.abs(step) / 1000).toFixed(3)} seconds`,
    ]);
    if (outcome.exitCode !== 0) throw new Error(`setting the guest's clock failed: ${outcome.stderr.trim()}`);
    const after = await clockOffset(channel);
    lag = step - (after - offset);
    offset = after;
  }
  return offset;
}
