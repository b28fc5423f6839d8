// `egress-proxier render --backend iptables`: everything a sync would program on a fresh node, as sections.
import type { NodeEgressTable, RenderedDatapath, RenderedSection } from '@egress-proxier/core';
import {
  addressReplace,
  commandLine,
  fdbAppend,
  ipvsRestoreText,
  IpvsSteering,
  tunnelUp,
  routeReplace,
  ruleAdd,
  throwRouteReplace,
  vxlanCreate,
  type Command,
} from '@egress-proxier/node-datapath';
import { buildDatapath, freshSlots } from '../model/build-datapath.js';
import type { IptablesOptions } from '../options.js';
import { ipsetScripts } from './ipset-script.js';
import { freshJumps, iptablesRestoreScript } from './iptables-script.js';

/** Shown where the value is only known on the node (the uplink when not set by option, its address). */
export const UPLINK_PLACEHOLDER = '<uplink>';
export const UPLINK_ADDRESS_PLACEHOLDER = '<uplink-address>';

export const SECTION_TITLES = {
  ipset: 'ipset restore -exist',
  iptables: 'iptables-restore --noflush',
  ip6tables: 'ip6tables-restore --noflush',
  vxlan: 'vxlan device',
  routing: 'ip rule / ip route',
  addresses: 'ip addr',
  ipvsDevices: 'IPVS tunnel devices',
  ipvs: 'ipvsadm -R',
} as const;

export function renderDatapath(table: NodeEgressTable, options: IptablesOptions): RenderedDatapath {
  const facts = { uplink: options.uplink ?? UPLINK_PLACEHOLDER };
  const datapath = buildDatapath(table, options, facts, freshSlots(table, options));
  const sections: RenderedSection[] = [
    { title: SECTION_TITLES.ipset, content: ipsetScripts(datapath.ipsets, new Map()).update },
  ];
  for (const ruleset of datapath.rulesets) {
    sections.push({
      title: ruleset.family === 4 ? SECTION_TITLES.iptables : SECTION_TITLES.ip6tables,
      content: iptablesRestoreScript(ruleset, freshJumps(ruleset)),
    });
  }
  if (datapath.vxlan !== undefined) {
    const vxlan = datapath.vxlan;
    const commands = [
      ...vxlanCreate(vxlan, UPLINK_ADDRESS_PLACEHOLDER),
      ...vxlan.remotes.map((remote) => fdbAppend(vxlan.device, remote)),
    ];
    sections.push({ title: SECTION_TITLES.vxlan, content: lines(commands) });
  }
  if (options.steering === 'ipvs') {
    const devices = new IpvsSteering(facts.uplink, options.mask, options.ipvs).tunnelDevices();
    if (devices.length > 0)
      sections.push({ title: SECTION_TITLES.ipvsDevices, content: lines(devices.map(tunnelUp)) });
    const restore = ipvsRestoreText(datapath.ipvs);
    sections.push({ title: SECTION_TITLES.ipvs, content: restore === '' ? '' : `${restore}\n` });
  }
  sections.push({
    title: SECTION_TITLES.routing,
    content: lines(
      datapath.routes.flatMap((route) => [
        routeReplace(route),
        ...(route.tunnelEndpoint === undefined
          ? []
          : [throwRouteReplace(route.family, route.tunnelEndpoint, route.table)]),
        ruleAdd(route),
      ]),
    ),
  });
  sections.push({
    title: SECTION_TITLES.addresses,
    content: lines(
      datapath.addresses.map((address) => addressReplace(address, options.addressLifetimeSeconds)),
    ),
  });
  return { sections };
}

function lines(commands: Command[]): string {
  return commands.map((command) => `${commandLine(command)}\n`).join('');
}
