// `egress-proxier render --backend iptables`: everything a sync would program on a fresh node, as sections.
import type { NodeEgressTable, RenderedDatapath, RenderedSection } from '@egress-proxier/core';
import {
  commandLines,
  ipvsRestoreText,
  IpvsSteering,
  NODE_SECTION_TITLES,
  nodeSections,
  UPLINK_PLACEHOLDER,
  tunnelUp,
} from '@egress-proxier/node-datapath';
import { buildDatapath, freshSlots } from '../model/build-datapath.js';
import type { IptablesOptions } from '../options.js';
import { ipsetScripts } from './ipset-script.js';
import { freshJumps, iptablesRestoreScript } from './iptables-script.js';

export const SECTION_TITLES = {
  ipset: 'ipset restore -exist',
  iptables: 'iptables-restore --noflush',
  ip6tables: 'ip6tables-restore --noflush',
  ...NODE_SECTION_TITLES,
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
  const node = nodeSections(datapath, options.addressLifetimeSeconds);
  if (node.vxlan !== undefined) sections.push(node.vxlan);
  if (options.steering === 'ipvs') {
    const devices = new IpvsSteering(facts.uplink, options.mask, options.ipvs).tunnelDevices();
    if (devices.length > 0)
      sections.push({ title: SECTION_TITLES.ipvsDevices, content: commandLines(devices.map(tunnelUp)) });
    const restore = ipvsRestoreText(datapath.ipvs);
    sections.push({ title: SECTION_TITLES.ipvs, content: restore === '' ? '' : `${restore}\n` });
  }
  sections.push(node.routing, node.addresses);
  return { sections };
}
