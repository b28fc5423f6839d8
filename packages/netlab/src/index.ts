// @egress-proxier/netlab: network-namespace labs for real-kernel tests of egress backends.
export { createLab, destroyStale, Lab } from './lab.js';
export type { ConnectResult, IptablesFlavour, LabExternal, LabNode, LabOptions, LabPod } from './lab.js';
export { assertLabPrerequisites, LabPrerequisiteError } from './prerequisites.js';
export { run, runIn, spawnIn, CommandFailed, type RunOptions, type RunResult } from './run.js';
export * from './topology.js';
export { uniquePrefix } from './unique-prefix.js';
export { localHost, type LabHost, type LabProcess, type SpawnOptions } from './host.js';
export { Prober, type ProbeAttempt, type SendOptions } from './prober.js';
export { namespaceExec } from './namespace-exec.js';
