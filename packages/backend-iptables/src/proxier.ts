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
import { applyDatapath } from './apply/datapath-applier.js';
import { GratuitousArp } from './apply/garp.js';
import { detectFlavour, iptablesTools, type IptablesTools } from './apply/iptables-flavour.js';
import { readKernelView, readOwnedAddresses, viewOfApplied, type KernelView } from './apply/kernel-view.js';
import { detectUplink, strictReversePathFilter, uplinkAddress } from './apply/node-facts.js';
import { buildDatapath } from './model/build-datapath.js';
import type { DesiredDatapath, EgressAddress } from './model/desired-datapath.js';
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

  constructor(
    private readonly context: ProxierContext,
    private readonly options: IptablesOptions,
  ) {
    this.lifetimeSeconds = options.addressLifetimeSeconds;
    this.garp = new GratuitousArp(context.exec, context.logger, options.garpCount);
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
    const view = this.view ?? (await readKernelView(runner, setup.tools, this.options, setup.uplink));
    this.view = undefined; // if applying fails half-way, the next sync re-reads the kernel
    const alsoFamilies = [...view.iptables].filter(([, family]) => family.present).map(([family]) => family);
    const desired = buildDatapath(table, this.options, { uplink: setup.uplink, alsoFamilies });
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
    this.view = viewOfApplied(desired);
    this.applied = desired;
    return {
      changed: outcome.commands > 0,
      counts: {
        rules: desired.rulesets.reduce(
          (sum, ruleset) => sum + ruleset.chains.reduce((n, c) => n + c.rules.length, 0),
          0,
        ),
        sets: desired.ipsets.length,
        setEntries: desired.ipsets.reduce((sum, set) => sum + set.entries.length, 0),
        setChanges: outcome.ipsetChanges,
        addresses: desired.addresses.length,
        gateways: new Set(desired.routes.map((route) => route.gatewayNode)).size,
        commands: outcome.commands,
      },
    };
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
