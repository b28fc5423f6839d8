// `egress-proxier render --backend nftables`: everything a sync would program on a fresh node: our table as the
// `nft -f` transaction a first sync runs, then the kit's node-level sections.
import type { NodeEgressTable, RenderedDatapath } from '@egress-proxier/core/plugin';
import {
  GatewaySlotAllocator,
  nodeSections,
  SlotLayout,
  steeredGateways,
  steeringDriver,
  UPLINK_PLACEHOLDER,
} from '@egress-proxier/node-datapath';
import { buildDatapath } from '../model/build-table.js';
import type { NftablesOptions } from '../options.js';
import { fullScript } from './nft-script.js';

export const NFT_SECTION_TITLE = 'nft -f';

export function renderDatapath(table: NodeEgressTable, options: NftablesOptions): RenderedDatapath {
  const uplink = options.uplink ?? UPLINK_PLACEHOLDER;
  // A node with no history numbers gateways in name order.
  const slots = new GatewaySlotAllocator(new SlotLayout(options)).allocate(steeredGateways(table)).slots;
  const datapath = buildDatapath(table, {
    options,
    uplink,
    slots,
    steering: steeringDriver(options, uplink),
  });
  const node = nodeSections(datapath, options.addressLifetimeSeconds);
  return {
    sections: [
      { title: NFT_SECTION_TITLE, content: fullScript(datapath.nft) },
      ...(node.vxlan === undefined ? [] : [node.vxlan]),
      node.routing,
      node.addresses,
    ],
  };
}
