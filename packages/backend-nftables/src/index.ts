// @egress-proxier/backend-nftables: the plugin (default and named export) and its building blocks.
import { plugin } from './plugin.js';

export { plugin };
export default plugin;
export { parseOptions, DEFAULT_OPTIONS, PLUGIN_OPTIONS, type NftablesOptions } from './options.js';
export { renderDatapath, NFT_SECTION_TITLE } from './render/render-datapath.js';
export { NftablesProxier } from './proxier.js';
export { nftPreflightChecks } from './apply/nft-preflight.js';
export { TABLE, TABLE_FAMILY, TABLE_NAME, CHAINS, PRIORITIES } from './names.js';
