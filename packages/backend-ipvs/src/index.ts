// @egress-proxier/backend-ipvs: the plugin (default and named export) and its options.
import { plugin } from './plugin.js';

export { plugin };
export default plugin;
export { DEFAULT_IPVS, parseOptions, PLUGIN_OPTIONS, type IpvsOptions } from './options.js';
