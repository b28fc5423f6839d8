// The eBPF backend: see docs/backend-ebpf.md.

export { ebpfPreflightChecks, featureChecks, REQUIRED_HELPERS } from './preflight/ebpf-preflight.js';

// The pinned maps as state: layout (bpf/egress_maps.h), desired content, read-back, diff, one batch per sync
export * from './maps/map-layout.js';
export * from './maps/desired-maps.js';
export { MapDumpError, parseMapDump, readPinnedMap } from './maps/map-dump.js';
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
