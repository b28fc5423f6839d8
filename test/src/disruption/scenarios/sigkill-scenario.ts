// SIGKILL of the gateway's agent: the kernel drops the egress IP by itself (address lifetime), the other
// gateway claims it after the lease and the hand-over margin, and when the killed agent is back the IP stays
// where it is (a healthy holder keeps its IP: no second outage, no failed connection of the source pod). Then a
// planned move puts it back: the interim holder loses its gateway label, drains and hands over, and gets the
// label back without taking anything. Through all of it no connection may leave with another source than the
// egress IP (failed ones during the failover are allowed and counted) and no sample may show two holders.
import { GATEWAY_LABEL } from '../../../../scripts/demo/live-cluster.mjs';
import { heldLine, holdConnections, type HeldGroup } from '../held-connections.js';
import { BOUNDS } from '../targets.js';
import {
  handOverOf,
  judgeSteady,
  recoveryAfter,
  samplesHeldByNobody,
  samplesNotHeldAlone,
} from '../verdicts.js';
import { BASE_EGRESS } from './disruption-cluster.js';
import { observe, sleep } from './observe.js';
import { commonFigures, countsLine, relative, seconds, wrongTimeline, type Scenario } from './scenario.js';

/** After the claim the window stays open this long before the agent is restarted (the client settles). */
const AFTER_CLAIM_MS = 1_500;
/** Longest wait for the claim, and for the planned move back. */
const MOVE_TIMEOUT_MS = 20_000;
/**
 * How long the returned agent is watched not taking its IP back: longer than a lease (3 s), a drain (0.5 s) and
 * the syncs of a claim, so a node that would take it back has done so by then.
 */
const STAY_MS = 5_000;
const TAIL_MS = 1_000;
/**
 * Long-lived connections held open through the failover: from before the kill until well after the claim
 * (kill ≤ 1 s, claim ≤ 4.5 s after it), so their retransmissions after the outage are inside the window.
 */
const FAILOVER_HOLD_MS = 10_000;
/** ... and through the planned move back (a drain and a few syncs). */
const MOVE_HOLD_MS = 6_000;

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
    // 100 connections, a third from each kind of node (the measure).
    const heldGroups = (from: string, to: string): HeldGroup[] => [
      { role: 'source node', pod: source, connections: 34 },
      { role: `old holder ${from}`, pod: cluster.podOn(from), connections: 33 },
      { role: `new holder ${to}`, pod: cluster.podOn(to), connections: 33 },
    ];
    const hold = (from: string, to: string, spreadMs: number) =>
      holdConnections(live.lab, heldGroups(from, to), egress.external, egress.egressIP, spreadMs);
    const observation = await observe(cluster, { pods, egress }, async (watch) => {
      // At a random phase of the gateway's renewal cycle (1 s), as a crash comes: the failover time depends
      // on how long before the kill the lease was last renewed (docs/failover.md: 2.5–3.5 s plus a sync).
      const throughFailover = hold(gateway, other, FAILOVER_HOLD_MS);
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
      const returnedAt = Date.now();
      await sleep(STAY_MS);
      const stayedUntil = Date.now();
      // The planned move back, so the cluster ends as it began (BASE_EGRESS on the rendezvous winner).
      const throughMove = hold(other, gateway, MOVE_HOLD_MS);
      await sleep(500);
      await live.kubectl('label', 'node', other, `${GATEWAY_LABEL}-`);
      const movedBack = await watch.until(() => {
        const last = watch.samples[watch.samples.length - 1];
        return last !== undefined && last.at > stayedUntil && last.holders.join() === gateway;
      }, MOVE_TIMEOUT_MS);
      const movedBackAt = Date.now();
      await live.kubectl('label', 'node', other, `${GATEWAY_LABEL}=true`);
      await sleep(TAIL_MS);
      const heldThroughFailover = await throughFailover.outcomes;
      const heldThroughMove = await throughMove.outcomes;
      return {
        killedAt,
        restartedAt,
        returnedAt,
        stayedUntil,
        movedBack,
        movedBackAt,
        snatedByOther,
        heldThroughFailover,
        heldThroughMove,
      };
    });
    const {
      killedAt,
      restartedAt,
      returnedAt,
      stayedUntil,
      movedBack,
      movedBackAt,
      snatedByOther,
      heldThroughFailover,
      heldThroughMove,
    } = observation.result;
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
    const whileBack = samples.filter((sample) => sample.at >= returnedAt && sample.at < stayedUntil);
    const tookBack = samplesNotHeldAlone(samples, other, returnedAt, stayedUntil);
    if (tookBack.length > 0)
      errors.push(
        `${egress.egressIP} left ${other} after ${gateway} came back (${tookBack.length} of ${whileBack.length} samples): a healthy holder keeps its IP`,
      );
    const failedBetween = (from: number, to: number) =>
      sourceAttempts.filter(
        (attempt) => attempt.startedAt >= from && attempt.startedAt <= to && !attempt.source,
      ).length;
    const secondOutage = failedBetween(restartedAt, stayedUntil);
    if (secondOutage > 0)
      errors.push(
        `${secondOutage} connections of ${source.name} failed after ${gateway}'s agent came back (a second outage)`,
      );
    if (!movedBack)
      errors.push(`${egress.egressIP} did not move back to ${gateway} when ${other} lost its gateway label`);
    // Established connections follow the IP (the carry-over of conntrack entries, or the BPF NAT taking up any
    // packet), except those of the killed agent's own node: its rules still SNAT them locally (issue 15).
    const [fromSource, , fromNewHolder] = heldThroughFailover;
    for (const group of [fromSource, fromNewHolder, ...heldThroughMove])
      if (group !== undefined && group.kept < group.connections)
        errors.push(
          `${group.connections - group.kept} of ${group.connections} long-lived connections from ${group.pod} on the ${group.role} broke (${group.lost})`,
        );
    // Reported, not yet a target: a planned move still holds the traffic from the drain to the new ready (issue 15).
    const failedInMove = failedBetween(stayedUntil, movedBackAt);
    const figures = {
      ...commonFigures(verdicts, samples, samplesHeldByNobody(samples, killedAt).length),
      failoverMs,
      addressGoneMs,
      recoveredMs,
    };
    const details =
      `${gateway} killed: address gone ${seconds(addressGoneMs)}, ${handOver.newHolder ?? other} holds it ${seconds(failoverMs)}, ` +
      `${source.name} recovered ${seconds(recoveredMs)} (${snatedByOther} connections SNATed by ${other}); ` +
      `restarted at ${relative(restartedAt - killedAt)}, IP stayed on ${other} for ${seconds(stayedUntil - returnedAt)}; ` +
      `label removed from ${other}: back on ${gateway} ${movedBack ? relative(movedBackAt - killedAt) : 'never'} (${failedInMove} connections of ${source.name} failed in the move); ` +
      `long-lived connections kept through the failover: ${heldLine(heldThroughFailover)}; through the move: ${heldLine(heldThroughMove)}; ` +
      `${countsLine(verdicts, figures)} (IP-absent: held by nobody); ` +
      `wrong: ${wrongTimeline(
        verdicts.flatMap((v) => v.wrong),
        killedAt,
      )}`;
    return { figures, errors, details };
  },
};
