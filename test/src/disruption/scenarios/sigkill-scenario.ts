// SIGKILL of the gateway's agent: the kernel drops the egress IP by itself (address lifetime), the other
// gateway claims it after the lease and the hand-over margin, and when the killed agent is back the IP moves
// back (a planned hand-over). Through all of it no connection may leave with another source than the egress
// IP (failed ones are allowed and counted) and no sample may show two holders.
import { BOUNDS } from '../targets.js';
import { handOverOf, judgeSteady, recoveryAfter, samplesHeldByNobody } from '../verdicts.js';
import { BASE_EGRESS } from './disruption-cluster.js';
import { observe, sleep } from './observe.js';
import { commonFigures, countsLine, relative, seconds, wrongTimeline, type Scenario } from './scenario.js';

/** After the claim the window stays open this long before the agent is restarted (the client settles). */
const AFTER_CLAIM_MS = 1_500;
/** Longest wait for the claim, and for the move back after the restart. */
const MOVE_TIMEOUT_MS = 20_000;
const TAIL_MS = 1_000;

export const sigkillScenario: Scenario = {
  name: 'sigkill-gateway',
  title:
    'SIGKILL of the gateway agent: the IP moves within the timeline, never on two nodes, no other source',
  targets: {
    // The 3 s median is the agent benchmark's (BOUNDS.failoverMedianMs); here every run is held to the timeline.
    failover: { maxMs: BOUNDS.failoverMaxMs },
    addressGoneMaxMs: BOUNDS.addressGoneMs,
    // The source node ends its hand-over hold with the new owner and syncs within the same bound.
    recoveredMaxMs: BOUNDS.failoverMaxMs,
  },
  timeoutMs: () => 120_000,
  async run({ cluster }) {
    const egress = BASE_EGRESS;
    const live = cluster.live;
    const gateway = cluster.expectedGateway(egress);
    const other = cluster.gatewayCandidates.find((node) => node !== gateway) ?? '';
    const source = cluster.sourcePod;
    const pods = [source, cluster.podOn(gateway)];
    const observation = await observe(cluster, { pods, egress }, async (watch) => {
      // At a random phase of the gateway's renewal cycle (1 s), as a crash comes: the failover time depends
      // on how long before the kill the lease was last renewed (docs/failover.md: 2.5–3.5 s plus a sync).
      await sleep(Math.random() * 1_000);
      const killedAt = Date.now();
      await live.stopAgent(gateway, 'SIGKILL');
      const claimed = await watch.until(
        () => watch.samples.some((sample) => sample.at >= killedAt && sample.holders.includes(other)),
        MOVE_TIMEOUT_MS,
      );
      // The source pod should be back on the egress IP through the new gateway before the restart.
      if (claimed) await watch.untilSeen(source, egress.egressIP, Date.now(), MOVE_TIMEOUT_MS);
      await sleep(AFTER_CLAIM_MS);
      const snatedByOther = await cluster.connectionsTranslatedBy(other, source.ip, killedAt);
      const restartedAt = Date.now();
      live.startAgent(gateway);
      await cluster.waitHealthy(gateway);
      const movedBack = await watch.until(() => {
        const last = watch.samples[watch.samples.length - 1];
        return last !== undefined && last.at > restartedAt && last.holders.join() === gateway;
      }, MOVE_TIMEOUT_MS);
      const movedBackAt = Date.now();
      await sleep(TAIL_MS);
      return { killedAt, restartedAt, movedBack, movedBackAt, snatedByOther };
    });
    const { killedAt, restartedAt, movedBack, movedBackAt, snatedByOther } = observation.result;
    const samples = observation.samples;
    const verdicts = observation.pods.map(({ pod, attempts }) =>
      judgeSteady(pod.name, attempts, egress.egressIP),
    );
    const handOver = handOverOf(samples, gateway, killedAt);
    const sourceAttempts = observation.pods[0]?.attempts ?? [];
    const recovery = recoveryAfter(sourceAttempts, egress.egressIP, killedAt, restartedAt);
    const recoveredMs = !recovery.broken
      ? 0
      : recovery.recoveredAt === undefined
        ? null
        : recovery.recoveredAt - killedAt;
    const failoverMs = handOver.claimedAt === undefined ? null : handOver.claimedAt - killedAt;
    const addressGoneMs = handOver.goneAt === undefined ? null : handOver.goneAt - killedAt;
    const errors: string[] = [];
    if (handOver.newHolder !== undefined && handOver.newHolder !== other)
      errors.push(`${egress.egressIP} moved to ${handOver.newHolder}, not to the other gateway ${other}`);
    if (failoverMs !== null && snatedByOther === 0)
      errors.push(`${other} holds ${egress.egressIP} but SNATed no connection of ${source.name}`);
    if (!movedBack)
      errors.push(`${egress.egressIP} did not move back to ${gateway} after its agent restarted`);
    const figures = {
      ...commonFigures(verdicts, samples, samplesHeldByNobody(samples, killedAt).length),
      failoverMs,
      addressGoneMs,
      recoveredMs,
    };
    const details =
      `${gateway} killed: address gone ${seconds(addressGoneMs)}, ${handOver.newHolder ?? other} holds it ${seconds(failoverMs)}, ` +
      `${source.name} recovered ${seconds(recoveredMs)} (${snatedByOther} connections SNATed by ${other}); ` +
      `restarted at ${relative(restartedAt - killedAt)}, back on ${gateway} ${movedBack ? relative(movedBackAt - killedAt) : 'never'}; ` +
      `${countsLine(verdicts, figures)} (IP-absent: held by nobody); ` +
      `wrong: ${wrongTimeline(
        verdicts.flatMap((v) => v.wrong),
        killedAt,
      )}`;
    return { figures, errors, details };
  },
};
