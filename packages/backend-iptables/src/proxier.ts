// The iptables NodeProxier: turns each table into a DesiredDatapath and applies the difference from what the
// kernel holds. The first sync (and any sync after drift) reads the kernel, so a restarted agent adopts its
// predecessor's state without tearing it down; later syncs compare against what they last applied.
import type {
  IPFamily,
  NodeEgressTable,
  NodeProxier,
  ProxierContext,
  SyncReport,
} from '@egress-proxier/core';
import { CommandRunner } from './apply/command-runner.js';
import { chainsIntact } from './apply/canary.js';
import { cleanupAll } from './apply/cleanup.js';
import { applyDatapath, type ApplyOutcome } from './apply/datapath-applier.js';
import { GratuitousArp } from './apply/garp.js';
import { detectFlavour, iptablesTools, type IptablesTools } from './apply/iptables-flavour.js';
import { readKernelView, readOwnedAddresses, viewOfApplied, type KernelView } from './apply/kernel-view.js';
import { detectUplink, strictReversePathFilter, uplinkAddress } from './apply/node-facts.js';
import { slotsInKernel } from './apply/slots-in-kernel.js';
import { buildDatapath } from './model/build-datapath.js';
import type { DesiredDatapath, EgressAddress } from './model/desired-datapath.js';
import { GatewaySlotAllocator, type SlotAllocation } from './model/gateway-slot-allocator.js';
import { SlotLayout } from './model/gateway-slots.js';
import { dropSteeringTo, steeredGateways } from './model/steered-gateways.js';
import type { IptablesOptions } from './options.js';
import { addressReplace } from './render/commands.js';

interface NodeSetup {
  uplink: string;
  tools: IptablesTools;
}

export class IptablesProxier implements NodeProxier {
  private setup: NodeSetup | undefined;
  /** What the kernel holds as far as we know; undefined means "read it before the next change". */
  private view: KernelView | undefined;
  private applied: DesiredDatapath | undefined;
  private lifetimeSeconds: number;
  private readonly garp: GratuitousArp;
  private readonly layout: SlotLayout;
  /** Which gateway holds which mark/table/priority; kept across syncs so slots never move under traffic. */
  private readonly slots: GatewaySlotAllocator;

  constructor(
    private readonly context: ProxierContext,
    private readonly options: IptablesOptions,
  ) {
    this.lifetimeSeconds = options.addressLifetimeSeconds;
    this.garp = new GratuitousArp(context.exec, context.logger, options.garpCount);
    this.layout = new SlotLayout(options);
    this.slots = new GatewaySlotAllocator(this.layout);
  }

  async sync(table: NodeEgressTable, signal: AbortSignal): Promise<SyncReport> {
    const runner = new CommandRunner(this.context.exec, signal);
    const setup = await this.ensureSetup(runner);
    if (this.view !== undefined && this.applied !== undefined) {
      const families = this.applied.rulesets.map((ruleset) => ruleset.family);
      const problems = await chainsIntact(runner, setup.tools, families);
      if (problems.length > 0) {
        this.context.logger.warn(
          { problems },
          'our iptables chains were changed by someone else; resyncing everything',
        );
        this.view = undefined;
      }
    }
    let view = this.view;
    if (view === undefined) {
      view = await readKernelView(runner, setup.tools, this.options, setup.uplink);
      this.slots.adopt(slotsInKernel(view, this.layout, table));
    }
    this.view = undefined; // if applying fails half-way, the next sync re-reads the kernel
    const { desired, commands, ipsetChanges } = await this.applyTable(runner, setup, table, view);
    this.view = viewOfApplied(desired);
    this.applied = desired;
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
   * Applies the table with slots from the allocator. A gateway that finds every free slot still being released
   * (at capacity) is not steered to by the first apply (its rules drop), and gets its slot from a second one.
   */
  private async applyTable(
    runner: CommandRunner,
    setup: NodeSetup,
    table: NodeEgressTable,
    view: KernelView,
  ) {
    const gateways = steeredGateways(table);
    const first = this.slots.allocate(gateways);
    let applied = await this.apply(runner, setup, dropSteeringTo(table, first.deferred), first, view);
    let { commands, ipsetChanges } = applied.outcome;
    if (first.deferred.length > 0) {
      this.context.logger.info(
        { gateways: first.deferred },
        'gateways got no slot while old slots were released; steering to them starts now',
      );
      const second = this.slots.allocate(gateways);
      if (second.deferred.length > 0) throw new Error(`no slot for gateways ${second.deferred.join(', ')}`);
      applied = await this.apply(runner, setup, table, second, viewOfApplied(applied.desired));
      commands += applied.outcome.commands;
      ipsetChanges += applied.outcome.ipsetChanges;
    }
    return { desired: applied.desired, commands, ipsetChanges };
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
        garp: this.garp,
        logger: this.context.logger,
        addressLifetimeSeconds: this.lifetimeSeconds,
        vxlanDevice: this.options.vxlanDevice,
        uplinkAddress: () => uplinkAddress(runner, setup.uplink),
      },
      desired,
      view,
    );
    return { desired, outcome };
  }

  async heartbeat(lifetimeSeconds: number, signal: AbortSignal): Promise<void> {
    this.lifetimeSeconds = lifetimeSeconds;
    const runner = new CommandRunner(this.context.exec, signal);
    const addresses = this.applied?.addresses ?? (await this.addressesLeftByPreviousProcess(runner));
    await runner.runIpBatch(addresses.map((address) => addressReplace(address, lifetimeSeconds)));
  }

  /**
   * Before this process's first sync, the egress addresses a previous process left on the uplink (a
   * restart). Renewing them keeps a restarting gateway's IPs from expiring while its informers list; the
   * first sync then keeps or withdraws them as the table says.
   */
  private async addressesLeftByPreviousProcess(runner: CommandRunner): Promise<EgressAddress[]> {
    const { uplink } = await this.ensureSetup(runner);
    return (await readOwnedAddresses(runner, uplink)).map((address) => ({
      ip: address.local,
      family: address.family,
      cidr: `${address.local}/${address.prefixLength}`,
      device: address.device,
      label: address.label,
    }));
  }

  async cleanup(signal: AbortSignal): Promise<void> {
    const runner = new CommandRunner(this.context.exec, signal);
    const uplink =
      this.setup?.uplink ?? this.options.uplink ?? (await detectUplink(runner).catch(() => undefined));
    await this.garp.settled();
    await cleanupAll(runner, this.options, uplink);
    this.view = undefined;
    this.applied = undefined;
  }

  /** Families whose chains this proxier last wrote. */
  families(): IPFamily[] {
    return this.applied?.rulesets.map((ruleset) => ruleset.family) ?? [];
  }

  /** Resolves when background gratuitous ARP bursts have finished. */
  settled(): Promise<void> {
    return this.garp.settled();
  }

  private async ensureSetup(runner: CommandRunner): Promise<NodeSetup> {
    if (this.setup !== undefined) return this.setup;
    const uplink = this.options.uplink ?? (await detectUplink(runner));
    const flavour = await detectFlavour(runner, this.options.iptablesMode);
    if (await strictReversePathFilter(runner, uplink)) {
      this.context.logger.warn(
        { uplink },
        'strict rp_filter on the uplink: as a gateway, this node drops steered packets whose pod source routes elsewhere (set rp_filter=2)',
      );
    }
    this.context.logger.info({ uplink, flavour, steering: this.options.steering }, 'iptables backend ready');
    this.setup = { uplink, tools: iptablesTools(flavour) };
    return this.setup;
  }
}
