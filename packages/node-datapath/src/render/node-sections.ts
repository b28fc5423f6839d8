// `egress-proxier render` sections of the node-level datapath every kernel backend shares: the VXLAN device with
// its flood entries, the steering routes and rules, and the egress addresses. A backend prints its own
// sections (chains, a table, maps) and places these around them.
import type { RenderedSection } from '@egress-proxier/core';
import { commandLine, type Command } from '../exec/command.js';
import { addressReplace } from '../iproute2/address-commands.js';
import { routeReplace, ruleAdd, throwRouteReplace } from '../iproute2/routing-commands.js';
import { fdbAppend, vxlanCreate } from '../iproute2/vxlan-commands.js';
import type { NodeDatapath } from '../datapath/node-datapath.js';

/** Shown where the value is only known on the node (the uplink when not set by option, its address). */
export const UPLINK_PLACEHOLDER = '<uplink>';
export const UPLINK_ADDRESS_PLACEHOLDER = '<uplink-address>';

export const NODE_SECTION_TITLES = {
  vxlan: 'vxlan device',
  routing: 'ip rule / ip route',
  addresses: 'ip addr',
} as const;

export interface NodeSections {
  /** Only with VXLAN steering. */
  vxlan: RenderedSection | undefined;
  routing: RenderedSection;
  addresses: RenderedSection;
}

export function nodeSections(datapath: NodeDatapath, addressLifetimeSeconds: number): NodeSections {
  const vxlan = datapath.vxlan;
  return {
    vxlan:
      vxlan === undefined
        ? undefined
        : {
            title: NODE_SECTION_TITLES.vxlan,
            content: commandLines([
              ...vxlanCreate(vxlan, UPLINK_ADDRESS_PLACEHOLDER),
              ...vxlan.remotes.map((remote) => fdbAppend(vxlan.device, remote)),
            ]),
          },
    routing: {
      title: NODE_SECTION_TITLES.routing,
      content: commandLines(
        datapath.routes.flatMap((route) => [
          routeReplace(route),
          ...(route.tunnelEndpoint === undefined
            ? []
            : [throwRouteReplace(route.family, route.tunnelEndpoint, route.table)]),
          ruleAdd(route),
        ]),
      ),
    },
    addresses: {
      title: NODE_SECTION_TITLES.addresses,
      content: commandLines(
        datapath.addresses.map((address) => addressReplace(address, addressLifetimeSeconds)),
      ),
    },
  };
}

/** One command a line, as `render` prints them. */
export function commandLines(commands: readonly Command[]): string {
  return commands.map((command) => `${commandLine(command)}\n`).join('');
}
