// @egress-proxier/testing/guest: a qemu guest running Debian's cloud kernel, for datapaths this host's kernel
// lacks (IPVS); netlab labs and the conformance suite run in it unchanged (docs/guest-lab.md).
export { GuestBootError, GuestMachine, type GuestBootOptions } from './machine.js';
export { GuestProcess } from './guest-process.js';
export { ensureGuestImage, guestBuildDir, type GuestImage } from './image.js';
export { guestExec, guestLabHost } from './lab-host.js';
export {
  assertGuestPrerequisites,
  GuestPrerequisiteError,
  HOST_TOOLS,
  type ToolEnvironment,
} from './prerequisites.js';
export type { ExecuteOptions } from './channel.js';
export type { RunOutcome } from './protocol.js';
