// @egress-proxier/backend-iptables: the plugin (default and named export) and its building blocks.
import { plugin } from './plugin.js';

export { plugin };
export default plugin;
export { parseOptions, DEFAULT_OPTIONS, PLUGIN_OPTIONS, type IptablesOptions } from './options.js';
export { renderDatapath, SECTION_TITLES } from './render/render-datapath.js';
export { IptablesProxier } from './proxier.js';
export { iptablesPreflightChecks } from './apply/iptables-preflight.js';
export { CHAINS, CHAIN_PREFIX, IPSET_PREFIX } from './names.js';
