// How packets of pods on a source node reach the gateway that owns their egress IP. Every driver uses the same
// policy routing (a fwmark rule and a table per gateway slot, see policy-routing.ts); what differs is where a
// slot's route leads and what device state it needs: on-link (shared L2: `via <gateway> dev <uplink>
// onlink`), VXLAN (L3: through a tunnel device with flood entries per gateway), and later IPVS.
import type { IPFamily } from '@egress-proxier/core';
import type { CommandRunner } from '../../exec/command-runner.js';
import type { Command } from '../../exec/command.js';
import type { SteeringMode } from '../../options/node-options.js';
import type { NodeKernelView } from '../../kernel/node-kernel-view.js';
import type { GatewaySlot } from '../slots/slot-layout.js';
import type { SteeringRoute } from '../steering-route.js';
import type { VxlanSpec } from '../vxlan-spec.js';

/** Runs one command, counting it. */
export type Run = (command: Command, input?: string) => Promise<void>;

export interface GatewayHop {
  family: IPFamily;
  slot: GatewaySlot;
  /** The gateway's node IP in this family. */
  nodeIP: string;
}

/** What a driver's apply steps get. */
export interface DriverContext {
  runner: CommandRunner;
  /** The uplink's primary IPv4 address (the tunnel source), read when first needed. */
  uplinkAddress: () => Promise<string>;
}

export interface SteeringDriver {
  readonly mode: SteeringMode;
  /** The policy route of one gateway slot in one family. */
  route(hop: GatewayHop): SteeringRoute;
  /** The tunnel device state `routes` need, or undefined when they need none. */
  tunnel(routes: readonly SteeringRoute[]): VxlanSpec | undefined;
  /** Devices on which traffic steered in from other nodes arrives (steered-in guards match on them). */
  ingressDevices(): string[];
  /** The device steered packets are encapsulated into, with its MTU (MSS clamping), if any. */
  encapsulation(): { device: string; mtu: number } | undefined;
  /** Before routes are added: creates what they lead into (a tunnel, its flood entries). */
  prepare(
    run: Run,
    context: DriverContext,
    desired: VxlanSpec | undefined,
    view: NodeKernelView,
  ): Promise<void>;
  /** After stale routes are gone: removes what no route leads into any more. */
  retire(
    run: Run,
    context: DriverContext,
    desired: VxlanSpec | undefined,
    view: NodeKernelView,
  ): Promise<void>;
}
