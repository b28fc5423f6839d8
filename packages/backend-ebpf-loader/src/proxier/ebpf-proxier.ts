// The eBPF NodeProxier: every sync reads the small kernel state (our addresses, our tc programs) and makes it
// match the table, so a restarted agent (a new instance) adopts what its predecessor left without a gap and
// drift there is repaired by the next sync. The maps are read on the first sync, after a failed one, and once
// every --ebpf-map-verify-seconds (hand edits are repaired then); in between, a sync diffs against what the
// last one left: a dump of every entry per sync would dominate a one-pod change at 150,000 sources.
//
// Order of a sync, so every state in between is safe for a packet:
//   1. new egress addresses (with their lifetime and announcement: the node kit) before any map says LOCAL
//      with them;
//   2. the maps, in one `bpftool batch` (map-sync.ts orders it);
//   3. programs onto devices that need them, once the maps hold their entries, and off devices that no
//      longer do;
//   4. addresses no map entry uses any more;
//   5. NAT entries and traffic counters of egress IPs this node no longer hosts, and (every
//      --ebpf-nat-sweep-seconds) idle NAT entries.
// readTraffic, outside syncs, only reads: the counter maps and the reverse NAT maps.
import {
  compileLongestPrefixTable,
  type NodeEgressTable,
  type NodeProxier,
  type ProxierContext,
  type SyncReport,
  type TrafficReading,
} from '@egress-proxier/core';
import {
  addAddresses,
  CommandRunner,
  desiredAddresses,
  detectUplink,
  EgressAddressKeeper,
  nodeFactWarnings,
  isOurAddress,
  parseAddresses,
  podFacingDevices,
  readNodeFacts,
  removeAddresses,
  type EgressAddress,
  type KernelAddress,
} from '@egress-proxier/node-datapath';
import { removeOtherVersions } from '../loader/load-object.js';
import { pinLayout, type PinLayout } from '../loader/pin-layout.js';
import { loadOrAdopt, type ProgramSet } from '../loader/program-set.js';
import { attach, detach } from '../loader/tc-attach.js';
import { readTcPrograms } from '../loader/tc-programs.js';
import { desiredMaps, type EgressMapsContent } from '../maps/desired-maps.js';
import { assertMapsFit, mapEntryCounts } from '../maps/map-capacity.js';
import { syncMaps } from '../maps/map-sync.js';
import { readNatPortUse } from '../nat/nat-port-use.js';
import { sweepNat } from '../nat/nat-sweep.js';
import type { EbpfOptions } from '../options.js';
import { readTrafficCounters } from '../traffic/traffic-counters.js';
import { pruneTrafficCounters } from '../traffic/traffic-prune.js';
import { trafficReading } from '../traffic/traffic-reading.js';
import { desiredAttachments, planAttachments } from './attach-plan.js';
import { cleanupEbpf } from './cleanup.js';
import { localSources, nodeHops } from './node-hops.js';
import { offLinkGateways } from './off-link-gateways.js';

interface NodeSetup {
  uplink: string;
  uplinkIfindex: number;
  layout: PinLayout;
  programs: ProgramSet;
}

export class EbpfProxier implements NodeProxier {
  private setup: NodeSetup | undefined;
  /** Addresses the last sync left, renewed by heartbeats; undefined before this process's first sync. */
  private addresses: EgressAddress[] | undefined;
  /** Whether program versions other than ours were unpinned by this process (after its first attach pass). */
  private oldVersionsRemoved = false;
  /** This process loaded the programs and no sync has reported that change yet. */
  private loadedUnreported = false;
  /** The maps' content as the last successful sync left it; undefined: read them before the next diff. */
  private maps: EgressMapsContent | undefined;
  private mapsReadAt = -Infinity;
  /** The egress IPs hosted at the last NAT sweep; undefined before this process's first. */
  private hostedAtSweep: ReadonlySet<string> | undefined;
  private natSweptAt = -Infinity;
  private readonly offLinkWarned = new Set<string>();
  private readonly addressKeeper: EgressAddressKeeper;

  constructor(
    private readonly context: ProxierContext,
    private readonly options: EbpfOptions,
    private readonly objectPath?: string,
  ) {
    this.addressKeeper = new EgressAddressKeeper(context, options);
  }

  async sync(table: NodeEgressTable, signal: AbortSignal): Promise<SyncReport> {
    try {
      return await this.syncOnce(table, signal);
    } catch (error) {
      // Start the next sync from the kernel: pins removed or programs detached by someone else are then found
      // and loaded again, and the maps read back, instead of failing the same way at every retry.
      this.setup = undefined;
      this.maps = undefined;
      throw error;
    }
  }

  private async syncOnce(table: NodeEgressTable, signal: AbortSignal): Promise<SyncReport> {
    const runner = new CommandRunner(this.context.exec, signal);
    const setup = await this.ensureSetup(runner);
    const maps = desiredMaps(compileLongestPrefixTable(table), nodeHops(setup.uplinkIfindex));
    assertMapsFit(maps); // before anything changes: a table that cannot fit leaves the datapath as it is
    const addresses = desiredAddresses(table, setup.uplink);
    const [uplinkAddresses, attached, podDevices] = await Promise.all([
      runner.stdout('ip', '-j', 'addr', 'show', 'dev', setup.uplink).then(parseAddresses),
      readTcPrograms(runner),
      podFacingDevices(runner, localSources(table)),
    ]);
    const held = uplinkAddresses.filter((address) => isOurAddress(address, setup.uplink));
    this.warnOffLink(table, uplinkAddresses, setup.uplink);
    const lifetime = this.addressKeeper.lifetime();
    const added = await addAddresses(runner, this.addressKeeper.announcer, lifetime, addresses, held);
    const verifyDue =
      this.context.clock.monotonic() - this.mapsReadAt >= this.options.mapVerifySeconds * 1000;
    const known = verifyDue ? undefined : this.maps;
    const mapSync = await syncMaps(runner, setup.layout.maps, maps, known);
    if (known === undefined) this.mapsReadAt = this.context.clock.monotonic();
    this.maps = maps;
    const plan = planAttachments(
      attached,
      desiredAttachments(podDevices.keys(), setup.uplink),
      setup.programs,
    );
    for (const { device, program } of plan.attach)
      await attach(runner, device, 'ingress', setup.programs.paths[program]);
    for (const device of plan.detach) await detach(runner, device, 'ingress');
    if (!this.oldVersionsRemoved) {
      const removed = await removeOtherVersions(setup.layout, setup.programs.version);
      if (removed.length > 0) this.context.logger.info({ removed }, 'unpinned older program versions');
      this.oldVersionsRemoved = true;
    }
    const removed = await removeAddresses(runner, addresses, held);
    this.addresses = addresses;
    const nat = await this.sweepNatIfDue(runner, setup, addresses);
    const entries = mapEntryCounts(maps);
    const loaded = this.loadedUnreported;
    this.loadedUnreported = false;
    return {
      changed: added + mapSync.batchExecs + plan.attach.length + plan.detach.length + removed > 0 || loaded,
      counts: {
        policyEntries: entries.policy,
        clusterEntries: entries.cluster,
        mapChanges: mapSync.lines,
        attachedDevices: podDevices.size + 1,
        addresses: addresses.length,
        natEntriesRemoved: nat.removed,
        commands: added + mapSync.batchExecs + 2 * plan.attach.length + plan.detach.length + removed,
      },
    };
  }

  /** Once per gateway address and process: what is steered to an off-link gateway is lost. */
  private warnOffLink(
    table: NodeEgressTable,
    uplinkAddresses: readonly KernelAddress[],
    uplink: string,
  ): void {
    for (const gateway of offLinkGateways(table, uplinkAddresses)) {
      const key = `${gateway.node}|${gateway.nodeIP}`;
      if (this.offLinkWarned.has(key)) continue;
      this.offLinkWarned.add(key);
      this.context.logger.warn(
        { gateway: gateway.node, nodeIP: gateway.nodeIP, uplink },
        "gateway node is not on the uplink's subnets: the eBPF backend steers on-link only (bpf_redirect_neigh), so traffic steered to it is lost; give gateways a shared L2 with their sources, or use the iptables backend with --iptables-steering vxlan",
      );
    }
  }

  /**
   * Stale NAT entries and traffic counters (of egress IPs this node no longer hosts) go at the first sync after
   * an IP left and at a process's first sync (its predecessor may have lost IPs while it was down); idle NAT
   * entries every --ebpf-nat-sweep-seconds. A failed sweep is logged, never fails the sync: the datapath is
   * programmed.
   */
  private async sweepNatIfDue(
    runner: CommandRunner,
    setup: NodeSetup,
    addresses: readonly EgressAddress[],
  ): Promise<{ removed: number }> {
    const hosted = new Set(addresses.map((address) => address.ip));
    const left = this.hostedAtSweep === undefined || [...this.hostedAtSweep].some((ip) => !hosted.has(ip));
    const now = this.context.clock.monotonic();
    const idleDue = now - this.natSweptAt >= this.options.natSweepSeconds * 1000;
    if (!left && !idleDue) return { removed: 0 };
    try {
      const report = await sweepNat(runner, setup.layout.maps, {
        hostedEgressIPs: hosted,
        nowNs: process.hrtime.bigint(), // CLOCK_MONOTONIC, the clock of bpf_ktime_get_ns()
        timeouts: this.options.natTimeouts,
        expireIdle: idleDue,
      });
      const prunedCounters = left ? await pruneTrafficCounters(runner, setup.layout.maps, hosted) : 0;
      this.hostedAtSweep = hosted;
      if (idleDue) this.natSweptAt = now;
      if (prunedCounters > 0)
        this.context.logger.info(
          { egressIPs: prunedCounters },
          'removed traffic counters of egress IPs that left',
        );
      if (report.expired + report.stale > 0)
        this.context.logger.info(
          { expired: report.expired, stale: report.stale, seen: report.seen },
          'removed NAT entries',
        );
      return { removed: report.expired + report.stale - report.vanished };
    } catch (error) {
      this.context.logger.warn(
        { err: error },
        'NAT sweep or traffic counter pruning failed; the next sync tries again',
      );
      return { removed: 0 };
    }
  }

  /**
   * Counters of every egress IP the last sync left hosted (one dump per family of the small counter maps) and
   * their SNAT port use now (one dump per family of the reverse NAT maps, the live entries counted).
   */
  async readTraffic(signal: AbortSignal): Promise<TrafficReading> {
    const hosted = (this.addresses ?? []).map((address) => address.ip);
    if (hosted.length === 0) return trafficReading([], new Map(), []);
    const runner = new CommandRunner(this.context.exec, signal);
    const { maps } = pinLayout(this.options.pinDir);
    const [counters, portUse] = await Promise.all([
      readTrafficCounters(runner, maps),
      readNatPortUse(runner, maps, {
        hostedEgressIPs: hosted,
        nowNs: process.hrtime.bigint(), // CLOCK_MONOTONIC, the clock of bpf_ktime_get_ns()
        timeouts: this.options.natTimeouts,
      }),
    ]);
    return trafficReading(hosted, counters, portUse);
  }

  async heartbeat(lifetimeSeconds: number, signal: AbortSignal): Promise<void> {
    const runner = new CommandRunner(this.context.exec, signal);
    await this.addressKeeper.heartbeat(runner, lifetimeSeconds, this.addresses, () => this.uplink(runner));
  }

  async cleanup(signal: AbortSignal): Promise<void> {
    const runner = new CommandRunner(this.context.exec, signal);
    await this.addressKeeper.settled();
    const uplink = await this.uplink(runner).catch(() => undefined);
    await cleanupEbpf(runner, this.options.pinDir, uplink);
    this.setup = undefined;
    this.addresses = undefined;
    this.maps = undefined;
    this.hostedAtSweep = undefined;
    this.oldVersionsRemoved = false;
  }

  /** Resolves when background announcements (gratuitous ARP, neighbour advertisements) have finished. */
  settled(): Promise<void> {
    return this.addressKeeper.settled();
  }

  private async uplink(runner: CommandRunner): Promise<string> {
    return this.setup?.uplink ?? this.options.uplink ?? (await detectUplink(runner, '--ebpf-uplink'));
  }

  private async ensureSetup(runner: CommandRunner): Promise<NodeSetup> {
    if (this.setup !== undefined) return this.setup;
    const uplink = await this.uplink(runner);
    const facts = await readNodeFacts(runner, uplink);
    if (facts.ifindex === undefined) throw new Error(`uplink ${uplink}: \`ip link\` reports no such device`);
    for (const warning of nodeFactWarnings(facts, { steering: 'onlink', vxlanMtu: 0 }))
      this.context.logger.warn({ uplink }, warning);
    const layout = pinLayout(this.options.pinDir);
    const programs = await loadOrAdopt(runner, layout, this.objectPath);
    if (programs.replacedMaps.length > 0)
      this.context.logger.warn(
        { maps: programs.replacedMaps },
        'pinned maps of an older layout were replaced: their entries are gone (policy maps are refilled now; NAT flows claim ports again)',
      );
    this.context.logger.info(
      { uplink, pinDir: layout.root, version: programs.version, adopted: !programs.loaded },
      programs.loaded ? 'eBPF backend ready: programs loaded' : 'eBPF backend ready: pinned programs adopted',
    );
    this.setup = { uplink, uplinkIfindex: facts.ifindex, layout, programs };
    this.loadedUnreported = programs.loaded;
    return this.setup;
  }
}
