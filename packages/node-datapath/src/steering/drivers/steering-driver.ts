// How packets of pods on a source node reach the gateway that owns their egress IP. Every driver uses the same
// policy routing (a fwmark rule and a table per gateway slot, see policy-routing.ts); what differs is where a
// slot's route leads and what device state it needs: on-link (shared L2: `via <gateway> dev <uplink>
// onlink`), VXLAN (L3: through a tunnel device with flood entries per gateway), and IPVS (a slot's table hands
// packets to an IPVS fwmark service whose real server is the gateway: direct routing or IP-in-IP).
import type { IPFamily } from '@egress-proxier/core';
import type { CommandRunner } from '../../exec/command-runner.js';
import type { Command } from '../../exec/command.js';
import type { NodeDatapath } from '../../datapath/node-datapath.js';
import type { IpvsService } from '../../ipvs/ipvs-service.js';
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

/**
 * How a backend clamps the TCP MSS of steered connections: on SYNs leaving by a tunnel device (and the
 * SYN-ACKs of connections it marked), or, when the tunnel is inside IPVS (no device, and the source node keeps
 * no connection state), on SYN-ACKs coming back to the steered pods.
 */
export type MssClamp =
  { kind: 'tunnel-device'; device: string; mtu: number } | { kind: 'steered-replies'; mtu: number };

export interface SteeringDriver {
  readonly mode: SteeringMode;
  /**
   * IPVS finds a fwmark service by the packet's whole mark, so the backend sets every bit of it (clearing
   * bits of others) instead of only the bits it owns.
   */
  readonly setsWholeMark: boolean;
  /** The protocols steering carries (IPVS: TCP, UDP and SCTP); undefined means all. Others must be dropped. */
  readonly protocols: readonly string[] | undefined;
  /** The policy route of one gateway slot in one family. */
  route(hop: GatewayHop): SteeringRoute;
  /** The tunnel device state `routes` need, or undefined when they need none. */
  tunnel(routes: readonly SteeringRoute[]): VxlanSpec | undefined;
  /** The IPVS services `routes` lead into (none for drivers that route). */
  services(routes: readonly SteeringRoute[]): IpvsService[];
  /** Devices on which traffic of `family` steered in from other nodes arrives (steered-in guards match on them). */
  ingressDevices(family: IPFamily): string[];
  /** MSS clamping the encapsulation needs, if any. */
  mssClamp(): MssClamp | undefined;
  /** Before routes are added: creates what they lead into (a tunnel, its flood entries, IPVS services). */
  prepare(run: Run, context: DriverContext, desired: NodeDatapath, view: NodeKernelView): Promise<void>;
  /** After stale routes are gone: removes what no route leads into any more. */
  retire(run: Run, context: DriverContext, desired: NodeDatapath, view: NodeKernelView): Promise<void>;
}
