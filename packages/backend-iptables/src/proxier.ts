// The iptables NodeProxier: turns each table into a DesiredDatapath and applies the difference from what the
// kernel holds. The first sync (and any sync after drift of our chains) reads the whole kernel, so a restarted
// agent adopts its predecessor's state without tearing it down; later syncs compare our chains against what
// they last applied (drift there is caught by the canary), and re-read the node-level state (rules, routes,
// addresses, VXLAN and FDB) and the sets' census on every sync, so drift there is repaired by the next sync.
import type {
  IPFamily,
  NodeEgressTable,
  NodeProxier,
  ProxierContext,
  SyncReport,
  TrafficReading,
} from '@egress-proxier/core';
import {
  applyWithStableSlots,
  CommandRunner,
  ConnectionCarryOver,
  detectUplink,
  GatewaySlotAllocator,
  EgressAddressKeeper,
  readNetfilterTraffic,
  nodeDrift,
  nodeFactWarnings,
  readNodeFacts,
  readNodeKernelView,
  SlotLayout,
  steeringDriver,
  uplinkAddress,
  type SlotAllocation,
} from '@egress-proxier/node-datapath';
import { chainsIntact } from './apply/canary.js';
import { cleanupAll } from './apply/cleanup.js';
import { applyDatapath, type ApplyOutcome } from './apply/datapath-applier.js';
import { detectFlavour, iptablesTools, type IptablesTools } from './apply/iptables-flavour.js';
import { readIpsets, readKernelView, viewOfApplied, type KernelView } from './apply/kernel-view.js';
import { setsDrifted } from './apply/set-census.js';
import { slotsInKernel } from './apply/slots-in-kernel.js';
import { buildDatapath } from './model/build-datapath.js';
import type { DesiredDatapath } from './model/desired-datapath.js';
import type { IptablesOptions } from './options.js';
import { readEgressCounters } from './state/traffic-counters.js';

interface NodeSetup {
  uplink: string;
  tools: IptablesTools;
}

export class IptablesProxier implements NodeProxier {
  private setup: NodeSetup | undefined;
  /** What the kernel holds as far as we know; undefined means "read it before the next change". */
  private view: KernelView | undefined;
  private applied: DesiredDatapath | undefined;
  private readonly addressKeeper: EgressAddressKeeper;
  private readonly layout: SlotLayout;
  /** Which gateway holds which mark/table/priority; kept across syncs so slots never move under traffic. */
  private readonly slots: GatewaySlotAllocator;
  private readonly carryOver: ConnectionCarryOver;

  constructor(
    private readonly context: ProxierContext,
    private readonly options: IptablesOptions,
    /** The `--backend` name this proxier runs as (backend-ipvs runs it with IPVS steering): flags and logs. */
    private readonly backend = 'iptables',
  ) {
    this.addressKeeper = new EgressAddressKeeper(context, options);
    this.layout = new SlotLayout(options);
    this.slots = new GatewaySlotAllocator(this.layout);
    this.carryOver = new ConnectionCarryOver(context.logger);
  }

  async sync(table: NodeEgressTable, signal: AbortSignal): Promise<SyncReport> {
    const runner = new CommandRunner(this.context.exec, signal);
    const setup = await this.ensureSetup(runner);
    let view = this.view === undefined ? undefined : await this.withDriftRepaired(runner, setup, this.view);
    if (view === undefined) {
      view = await readKernelView(runner, setup.tools, this.options, setup.uplink);
      this.slots.adopt(slotsInKernel(view, this.layout, table));
    }
    this.view = undefined; // if applying fails half-way, the next sync re-reads the kernel
    const {
      desired,
      commands: applyCommands,
      ipsetChanges,
    } = await this.applyTable(runner, setup, table, view);
    this.view = viewOfApplied(desired, view);
    this.applied = desired;
    const commands = applyCommands + (await this.carryOver.afterApply(runner, table, desired.routes));
    return {
      changed: commands > 0,
      counts: {
        rules: desired.rulesets.reduce(
          (sum, ruleset) => sum + ruleset.chains.reduce((n, c) => n + c.rules.length, 0),
          0,
        ),
        sets: desired.ipsets.length,
        setEntries: desired.ipsets.reduce((sum, set) => sum + set.entries.length, 0),
        setChanges: ipsetChanges,
        addresses: desired.addresses.length,
        gateways: new Set(desired.routes.map((route) => route.gatewayNode)).size,
        commands,
      },
    };
  }

  /**
   * The view of a sync that follows a successful one: our chains as last applied unless the canary says
   * otherwise (then undefined: read everything), the node-level state as the kernel holds it now, and the sets
   * re-read when their census differs from what was applied. Whatever drifted is then repaired by this sync.
   */
  private async withDriftRepaired(
    runner: CommandRunner,
    setup: NodeSetup,
    known: KernelView,
  ): Promise<KernelView | undefined> {
    const families = this.applied?.rulesets.map((ruleset) => ruleset.family) ?? [];
    // All three checks in parallel: renewals of address lifetimes wait behind a sync, so it must stay short.
    const [problems, node, setDrift] = await Promise.all([
      chainsIntact(runner, setup.tools, families),
      readNodeKernelView(runner, this.options, setup.uplink),
      setsDrifted(runner, known.ipsets),
    ]);
    if (problems.length > 0) {
      this.context.logger.warn(
        { problems },
        'our iptables chains were changed by someone else; resyncing everything',
      );
      return undefined;
    }
    const drift = nodeDrift(known, node);
    if (drift.length > 0) {
      this.context.logger.warn(
        { problems: drift },
        'node routing state was changed by someone else; repairing',
      );
    }
    if (setDrift.length > 0) {
      this.context.logger.warn({ problems: setDrift }, 'our ipsets were changed by someone else; repairing');
    }
    return {
      ...known,
      ...node,
      ipsets: setDrift.length > 0 ? await readIpsets(runner) : known.ipsets,
    };
  }

  /** Applies the table with stable slots (a gateway deferred at capacity is steered to by a second apply). */
  private async applyTable(
    runner: CommandRunner,
    setup: NodeSetup,
    table: NodeEgressTable,
    view: KernelView,
  ) {
    let from = view;
    const applied = await applyWithStableSlots(
      this.slots,
      table,
      async (withSlots, allocation) => {
        const result = await this.apply(runner, setup, withSlots, allocation, from);
        from = viewOfApplied(result.desired, view);
        return result;
      },
      (gateways) =>
        this.context.logger.info(
          { gateways },
          'gateways got no slot while old slots were released; steering to them starts now',
        ),
    );
    const last = applied[applied.length - 1] as (typeof applied)[number];
    return {
      desired: last.desired,
      commands: applied.reduce((sum, step) => sum + step.outcome.commands, 0),
      ipsetChanges: applied.reduce((sum, step) => sum + step.outcome.ipsetChanges, 0),
    };
  }

  private async apply(
    runner: CommandRunner,
    setup: NodeSetup,
    table: NodeEgressTable,
    allocation: SlotAllocation,
    view: KernelView,
  ): Promise<{ desired: DesiredDatapath; outcome: ApplyOutcome }> {
    const alsoFamilies = [...view.iptables]
      .filter(([, family]) => family.kind === 'applied' || family.present)
      .map(([family]) => family);
    const facts = { uplink: setup.uplink, alsoFamilies };
    const desired = buildDatapath(table, this.options, facts, allocation.slots);
    const outcome = await applyDatapath(
      {
        runner,
        tools: setup.tools,
        announcer: this.addressKeeper.announcer,
        steering: steeringDriver(this.options, setup.uplink),
        logger: this.context.logger,
        // What the agent's lease allows now; the last renewal's (or the option) where nothing is fenced.
        addressLifetimeSeconds: this.addressKeeper.lifetime(),
        uplinkAddress: () => uplinkAddress(runner, setup.uplink),
      },
      desired,
      view,
    );
    return { desired, outcome };
  }

  async heartbeat(lifetimeSeconds: number, signal: AbortSignal): Promise<void> {
    const runner = new CommandRunner(this.context.exec, signal);
    await this.addressKeeper.heartbeat(
      runner,
      lifetimeSeconds,
      this.applied?.addresses,
      async () => (await this.ensureSetup(runner)).uplink,
    );
  }

  /** Counters of the egress IPs the last sync hosted: rule counters of our chains, ports from conntrack. */
  async readTraffic(signal: AbortSignal): Promise<TrafficReading> {
    const runner = new CommandRunner(this.context.exec, signal);
    const tools = this.setup?.tools;
    const hosted = tools === undefined ? [] : (this.applied?.addresses ?? []);
    return readNetfilterTraffic(runner, hosted, (families) =>
      readEgressCounters(runner, tools as IptablesTools, families),
    );
  }

  async cleanup(signal: AbortSignal): Promise<void> {
    const runner = new CommandRunner(this.context.exec, signal);
    const uplink =
      this.setup?.uplink ??
      this.options.uplink ??
      (await detectUplink(runner, `--${this.backend}-uplink`).catch(() => undefined));
    await this.addressKeeper.settled();
    await cleanupAll(runner, this.options, uplink);
    this.view = undefined;
    this.applied = undefined;
    this.carryOver.forget();
  }

  /** Families whose chains this proxier last wrote. */
  families(): IPFamily[] {
    return this.applied?.rulesets.map((ruleset) => ruleset.family) ?? [];
  }

  /** Resolves when background announcements (gratuitous ARP, neighbour advertisements) have finished. */
  settled(): Promise<void> {
    return this.addressKeeper.settled();
  }

  private async ensureSetup(runner: CommandRunner): Promise<NodeSetup> {
    if (this.setup !== undefined) return this.setup;
    const uplink = this.options.uplink ?? (await detectUplink(runner, `--${this.backend}-uplink`));
    const flavour = await detectFlavour(runner, this.options.iptablesMode);
    const facts = await readNodeFacts(runner, uplink);
    for (const warning of nodeFactWarnings(facts, this.options))
      this.context.logger.warn({ uplink }, warning);
    const steering = this.options.steering === 'ipvs' ? this.options.ipvs : this.options.steering;
    this.context.logger.info({ uplink, flavour, steering }, `${this.backend} backend ready`);
    this.setup = { uplink, tools: iptablesTools(flavour) };
    return this.setup;
  }
}
