// The eBPF backend: see docs/backend-ebpf.md.

// The pinned maps as state: layout (bpf/egress_maps.h), desired content, read-back, diff, one batch per sync
export * from './maps/map-layout.js';
export * from './maps/desired-maps.js';
export { MapDumpError, parseMapDump, readPinnedMap } from './maps/map-dump.js';
export { diffMap, isEmptyDiff, type MapDiff } from './maps/map-diff.js';
export { BatchError, deleteLine, runBatch, updateLine, type BatchLine } from './maps/batch-file.js';
export { batchLines, mapPaths, syncMaps, type MapSyncReport } from './maps/map-sync.js';
