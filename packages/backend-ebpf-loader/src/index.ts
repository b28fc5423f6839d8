// @egress-proxier/backend-ebpf-loader: the plugin (default and named export) and its building blocks. See
// docs/backend-ebpf.md.
import { plugin } from './plugin.js';

export { plugin };
export default plugin;
export { EbpfProxier } from './proxier/ebpf-proxier.js';
export { parseOptions, PLUGIN_OPTIONS, DEFAULT_PIN_DIR, type EbpfOptions } from './options.js';
export { renderDatapath } from './render/render-datapath.js';
export { pinDirCheck } from './preflight/pin-dir-check.js';

export { ebpfPreflightChecks, featureChecks, REQUIRED_HELPERS } from './preflight/ebpf-preflight.js';

// The pinned maps as state: layout (bpf/egress_maps.h), desired content, read-back, diff, one batch per sync
export * from './maps/map-layout.js';
export * from './maps/desired-maps.js';
export {
  MapDumpError,
  parseMapDump,
  parsePerCpuMapDump,
  readPinnedMap,
  readPinnedPerCpuMap,
  type PerCpuMapContent,
} from './maps/map-dump.js';
export { diffMap, isEmptyDiff, type MapDiff } from './maps/map-diff.js';
export { BatchError, deleteLine, runBatch, updateLine, type BatchLine } from './maps/batch-file.js';
export { batchLines, mapPaths, syncMaps, type MapSyncReport } from './maps/map-sync.js';

// The loader: one bpffs directory of ours, programs per object version over shared maps, tc clsact filters
export { objectVersion, pinLayout, programDir, type PinLayout } from './loader/pin-layout.js';
export { loadObject, removeOtherVersions, type LoadedObject } from './loader/load-object.js';
export {
  attach,
  attachment,
  detach,
  FILTER_HANDLE,
  FILTER_PREF,
  type Attachment,
  type Direction,
} from './loader/tc-attach.js';
export {
  parseNetShow,
  PROGRAMS,
  readTcPrograms,
  type ProgramName,
  type TcProgram,
} from './loader/tc-programs.js';
export { CLASSIFY_OBJECT, loadOrAdopt, type ProgramSet } from './loader/program-set.js';
export { assertMapsFit, MapCapacityError } from './maps/map-capacity.js';

// The gateway's NAT state (bpf/egress_nat*.h): its layout, which entries are idle or stale, one sweep per call
export * from './nat/nat-layout.js';
export {
  DEFAULT_NAT_TIMEOUTS,
  idleLimitNs,
  natTimeouts,
  planNatSweep,
  type NatDeletion,
  type NatDeletionReason,
  type NatDumps,
  type NatSweepOptions,
  type NatSweepPlan,
  type NatTimeouts,
} from './nat/nat-expiry.js';
export { natMapPaths, readNatMaps, sweepNat, type NatSweepReport } from './nat/nat-sweep.js';
export {
  BUSIEST_ENDPOINTS,
  busiestEndpoints,
  liveReverseEntries,
  NAT_PORT_CAPACITY,
  readNatPortUse,
  type NatPortUseOptions,
} from './nat/nat-port-use.js';

// Traffic counters (bpf/egress_traffic.h): per egress IP connections and bytes, read for TrafficReading
export * from './traffic/traffic-layout.js';
export { readTrafficCounters } from './traffic/traffic-counters.js';
export { trafficReading } from './traffic/traffic-reading.js';
