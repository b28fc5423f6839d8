// The nftables NodeProxier: turns each table into a DesiredDatapath and makes the kernel match it with one nft
// transaction (plus the kit's node-level commands around it). The first sync reads our table whole, re-learns
// the gateway slots, and writes nothing when the kernel already holds the desired table: a restarted agent
// adopts its predecessor's table without a gap (and any write would be atomic anyway). Later syncs check the
// table's terse listing against the one taken after the last write; a difference (someone flushed, deleted or
// edited it) makes that sync read it whole and repair it. The node-level state is re-read on every sync.
import type {
  NodeEgressTable,
  NodeProxier,
  ProxierContext,
  SyncReport,
  TrafficReading,
} from '@egress-proxier/core/plugin';
import {
  applyWithStableSlots,
  CommandRunner,
  ConnectionCarryOver,
  detectUplink,
  GatewaySlotAllocator,
  EgressAddressKeeper,
  nodeDrift,
  nodeFactWarnings,
  nodeViewOfApplied,
  readNetfilterTraffic,
  readNodeFacts,
  readNodeKernelView,
  SlotLayout,
  slotsInKernel,
  steeringDriver,
  uplinkAddress,
  type NodeKernelView,
  type SlotAllocation,
} from '@egress-proxier/node-datapath';
import { applyDatapath, type ApplyOutcome } from './apply/datapath-applier.js';
import { cleanupAll } from './apply/cleanup.js';
import { readTableView, readTerse, type TableView } from './apply/table-view.js';
import { buildDatapath } from './model/build-table.js';
import type { DesiredDatapath } from './model/nft-table.js';
import { markOfSteerChain } from './names.js';
import type { NftablesOptions } from './options.js';
import { structureDigest } from './render/nft-script.js';
import { terseDigest } from './state/nft-listing.js';
import { readSetCounters } from './state/set-counters.js';

export class NftablesProxier implements NodeProxier {
  private uplink: string | undefined;
  /** Our table as the kernel holds it after our last write; undefined means "read it whole next sync". */
  private table: Extract<TableView, { kind: 'present' }> | undefined;
  private applied: DesiredDatapath | undefined;
  private readonly addressKeeper: EgressAddressKeeper;
  private readonly layout: SlotLayout;
  /** Which gateway holds which mark/table/priority; kept across syncs so slots never move under traffic. */
  private readonly slots: GatewaySlotAllocator;
  private readonly carryOver: ConnectionCarryOver;

  constructor(
    private readonly context: ProxierContext,
    private readonly options: NftablesOptions,
  ) {
    this.addressKeeper = new EgressAddressKeeper(context, options);
    this.layout = new SlotLayout(options);
    this.slots = new GatewaySlotAllocator(this.layout);
    this.carryOver = new ConnectionCarryOver(context.logger);
  }

  async sync(table: NodeEgressTable, signal: AbortSignal): Promise<SyncReport> {
    const runner = new CommandRunner(this.context.exec, signal);
    const uplink = await this.ensureUplink(runner);
    const [node, known] = await Promise.all([
      readNodeKernelView(runner, this.options, uplink),
      this.knownTable(runner),
    ]);
    if (this.applied !== undefined) {
      const drift = nodeDrift(nodeViewOfApplied(this.applied), node);
      if (drift.length > 0)
        this.context.logger.warn(
          { problems: drift },
          'node routing state was changed by someone else; repairing',
        );
    }
    let view: TableView = known;
    if (this.table === undefined)
      this.slots.adopt(slotsInKernel(node, this.layout, table, marksInUse(known)));
    this.table = undefined; // if applying fails half-way, the next sync reads the kernel whole
    let nodeView = node;
    const steps = await applyWithStableSlots(
      this.slots,
      table,
      async (withSlots, allocation) => {
        const step = await this.apply(runner, uplink, withSlots, allocation, nodeView, view);
        nodeView = nodeViewOfApplied(step.desired, node.ipvs);
        view = step.table;
        return step;
      },
      (gateways) =>
        this.context.logger.info(
          { gateways },
          'gateways got no slot while old slots were released; steering to them starts now',
        ),
    );
    const last = steps[steps.length - 1] as (typeof steps)[number];
    this.table = last.table;
    this.applied = last.desired;
    const desired = last.desired;
    const commands =
      steps.reduce((sum, step) => sum + step.outcome.commands, 0) +
      (await this.carryOver.afterApply(runner, table, desired.routes));
    return {
      changed: commands > 0,
      counts: {
        rules: desired.nft.chains.reduce((sum, chain) => sum + chain.rules.length, 0),
        sets: desired.nft.sets.length,
        setEntries: desired.nft.sets.reduce((sum, set) => sum + set.elements.length, 0),
        setChanges: steps.reduce((sum, step) => sum + step.outcome.elementChanges, 0),
        fullWrites: steps.filter((step) => step.outcome.tableWrite === 'full').length,
        addresses: desired.addresses.length,
        gateways: new Set(desired.routes.map((route) => route.gatewayNode)).size,
        commands,
      },
    };
  }

  /** Our table as last written when its terse listing still matches, else as read whole now. */
  private async knownTable(runner: CommandRunner): Promise<TableView> {
    const known = this.table;
    if (known === undefined) return readTableView(runner);
    const terse = await readTerse(runner);
    if (terse !== undefined && terseDigest(terse) === known.terse) return known;
    this.context.logger.warn(
      { table: terse === undefined ? 'deleted' : 'changed' },
      'our nftables table was changed by someone else; rewriting it',
    );
    this.table = undefined;
    return readTableView(runner);
  }

  private async apply(
    runner: CommandRunner,
    uplink: string,
    table: NodeEgressTable,
    allocation: SlotAllocation,
    node: NodeKernelView,
    view: TableView,
  ): Promise<{
    desired: DesiredDatapath;
    outcome: ApplyOutcome;
    table: Extract<TableView, { kind: 'present' }>;
  }> {
    const steering = steeringDriver(this.options, uplink);
    const desired = buildDatapath(table, {
      options: this.options,
      uplink,
      slots: allocation.slots,
      steering,
    });
    const outcome = await applyDatapath(
      {
        runner,
        announcer: this.addressKeeper.announcer,
        steering,
        // What the agent's lease allows now; the last renewal's (or the option) where nothing is fenced.
        addressLifetimeSeconds: this.addressKeeper.lifetime(),
        uplinkAddress: () => uplinkAddress(runner, uplink),
      },
      desired,
      node,
      view,
    );
    // The listing after a full write is the baseline of the next drift check (nft prints rules in its own
    // form); element writes leave the terse listing (which has no elements) as it was.
    const terse =
      outcome.tableWrite !== 'full' && view.kind === 'present'
        ? view.terse
        : terseDigest((await readTerse(runner)) ?? '');
    return {
      desired,
      outcome,
      table: {
        kind: 'present',
        structure: structureDigest(desired.nft),
        terse,
        listing: { elements: outcome.elements, chains: desired.nft.chains.map((chain) => chain.name) },
      },
    };
  }

  async heartbeat(lifetimeSeconds: number, signal: AbortSignal): Promise<void> {
    const runner = new CommandRunner(this.context.exec, signal);
    await this.addressKeeper.heartbeat(runner, lifetimeSeconds, this.applied?.addresses, () =>
      this.ensureUplink(runner),
    );
  }

  /** Counters of the egress IPs the last sync hosted: the count chain's set counters, ports from conntrack. */
  async readTraffic(signal: AbortSignal): Promise<TrafficReading> {
    const runner = new CommandRunner(this.context.exec, signal);
    return readNetfilterTraffic(runner, this.applied?.addresses ?? [], (families) =>
      readSetCounters(runner, families),
    );
  }

  async cleanup(signal: AbortSignal): Promise<void> {
    const runner = new CommandRunner(this.context.exec, signal);
    const uplink =
      this.uplink ??
      this.options.uplink ??
      (await detectUplink(runner, '--nftables-uplink').catch(() => undefined));
    await this.addressKeeper.settled();
    await cleanupAll(runner, this.options, uplink);
    this.table = undefined;
    this.applied = undefined;
    this.carryOver.forget();
  }

  /** Resolves when background announcements (gratuitous ARP, neighbour advertisements) have finished. */
  settled(): Promise<void> {
    return this.addressKeeper.settled();
  }

  private async ensureUplink(runner: CommandRunner): Promise<string> {
    if (this.uplink !== undefined) return this.uplink;
    const uplink = this.options.uplink ?? (await detectUplink(runner, '--nftables-uplink'));
    const facts = await readNodeFacts(runner, uplink);
    for (const warning of nodeFactWarnings(facts, this.options))
      this.context.logger.warn({ uplink }, warning);
    this.context.logger.info({ uplink, steering: this.options.steering }, 'nftables backend ready');
    this.uplink = uplink;
    return uplink;
  }
}

/** Marks our table's steer chains still set: not handed to a new gateway until they are gone. */
function marksInUse(view: TableView): number[] {
  if (view.kind === 'absent') return [];
  return view.listing.chains.flatMap((name) => {
    const mark = markOfSteerChain(name);
    return mark === undefined ? [] : [mark];
  });
}
