// Which devices get which program, and what changes: egp_classify at tc ingress of every device that routes to
// a local pod of the table, egp_uplink_in at the uplink's always: besides translating replies and SNATing
// steered-in pods while the node hosts egress IPs, it drops pod traffic steered to a node that does not (or no
// longer) SNATs it, which would otherwise leave masqueraded with this node's IP. A device running an
// older version of its program is re-pointed (tc replace, atomic); one of ours that is no longer wanted loses
// its filter.
import type { ProgramSet } from '../loader/program-set.js';
import { PROGRAMS, type ProgramName, type TcProgram } from '../loader/tc-programs.js';

export interface AttachPlan {
  attach: { device: string; program: ProgramName }[];
  detach: string[];
}

export function desiredAttachments(podDevices: Iterable<string>, uplink: string): Map<string, ProgramName> {
  const desired = new Map<string, ProgramName>();
  // The uplink never classifies as a pod device: its ingress is egp_uplink_in's (one filter per device).
  for (const device of podDevices) if (device !== uplink) desired.set(device, PROGRAMS.classify);
  desired.set(uplink, PROGRAMS.uplinkIn);
  return desired;
}

export function planAttachments(
  current: readonly TcProgram[],
  desired: ReadonlyMap<string, ProgramName>,
  programs: Pick<ProgramSet, 'ids'>,
): AttachPlan {
  const byDevice = new Map(current.map((attached) => [attached.device, attached]));
  const attach = [...desired]
    .filter(([device, program]) => byDevice.get(device)?.programId !== programs.ids[program])
    .map(([device, program]) => ({ device, program }))
    .sort((a, b) => a.device.localeCompare(b.device));
  const detach = [...byDevice.keys()].filter((device) => !desired.has(device)).sort();
  return { attach, detach };
}
