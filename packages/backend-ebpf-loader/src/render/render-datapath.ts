// `egress-proxier render --backend ebpf`: what a sync would program on a fresh node, as sections: the maps'
// entries decoded (what `bpftool map dump` shows as bytes), where the programs attach, the pins, and the egress
// addresses. Pure: device indexes and which devices route to the pods are only known on the node, so the
// uplink is named (or `<uplink>`) and the pod devices are described by the pods they lead to.
import {
  compileLongestPrefixTable,
  type NodeEgressTable,
  type RenderedDatapath,
  type RenderedSection,
} from '@egress-proxier/core';
import { addressReplace, commandLine, desiredAddresses } from '@egress-proxier/node-datapath';
import { programDir, pinLayout } from '../loader/pin-layout.js';
import { PROGRAMS } from '../loader/tc-programs.js';
import { policyValueOf } from '../maps/desired-maps.js';
import { EGRESS_MAPS, type PolicyValue } from '../maps/map-layout.js';
import type { EbpfOptions } from '../options.js';
import { localSources, nodeHops } from '../proxier/node-hops.js';

export const UPLINK_PLACEHOLDER = '<uplink>';

export const SECTION_TITLES = {
  attach: 'tc attach points',
  pins: 'bpffs pins',
  addresses: 'ip addr',
} as const;

export function renderDatapath(table: NodeEgressTable, options: EbpfOptions): RenderedDatapath {
  const uplink = options.uplink ?? UPLINK_PLACEHOLDER;
  const longest = compileLongestPrefixTable(table);
  const hops = nodeHops(1); // the index is the uplink's on the node; shown by name below
  const sections: RenderedSection[] = [];
  for (const family of [4, 6] as const) {
    const cluster = longest.clusterDestinations.filter((cidr) => cidr.includes(':') === (family === 6));
    sections.push({
      title: `bpf map ${EGRESS_MAPS[family === 4 ? 'cluster4' : 'cluster6'].name}`,
      content: lines(cluster),
    });
  }
  for (const family of [4, 6] as const) {
    const entries = longest.entries
      .filter((entry) => entry.family === family)
      .map(
        (entry) =>
          `${entry.source} → ${entry.destination}: ${describe(policyValueOf(entry.verdict, family, hops), uplink)}`,
      );
    sections.push({
      title: `bpf map ${EGRESS_MAPS[family === 4 ? 'policy4' : 'policy6'].name}`,
      content: lines(entries),
    });
  }
  const addresses = desiredAddresses(table, uplink);
  const sources = localSources(table)
    .map((source) => source.ip)
    .sort();
  sections.push({
    title: SECTION_TITLES.attach,
    content: lines([
      ...(sources.length > 0
        ? [
            `${PROGRAMS.classify}: tc ingress of each device with a direct route to one of ${sources.join(', ')} (this node's pods; the others are steered here)`,
          ]
        : []),
      `${PROGRAMS.uplinkIn}: tc ingress of ${uplink}`,
    ]),
  });
  const layout = pinLayout(options.pinDir);
  sections.push({
    title: SECTION_TITLES.pins,
    content: lines([
      ...Object.values(PROGRAMS).map((program) => `${programDir(layout, '<version>')}/${program}`),
      `${layout.maps}/ (the maps of bpf/egress_maps.h)`,
    ]),
  });
  sections.push({
    title: SECTION_TITLES.addresses,
    content: lines(
      addresses.map((address) => commandLine(addressReplace(address, options.addressLifetimeSeconds))),
    ),
  });
  return { sections };
}

function describe(value: PolicyValue, uplink: string): string {
  switch (value.action) {
    case 'pass':
      return 'pass';
    case 'drop':
      return 'drop';
    case 'steer':
      return `steer via ${value.nexthop} dev ${uplink}`;
    case 'local':
      return `snat to ${value.egressIP} out of ${uplink}`;
  }
}

function lines(items: readonly string[]): string {
  return items.map((item) => `${item}\n`).join('');
}
