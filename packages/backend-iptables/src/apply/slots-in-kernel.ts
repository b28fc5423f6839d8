// The slot numbering the kernel holds (node-datapath's slotsInKernel), with the marks our mangle chain still
// sets counted as in use: a mark left in EGRESS-PROXIER-MARK is not handed to a new gateway until it is gone.
import type { NodeEgressTable } from '@egress-proxier/core';
import {
  slotsInKernel as steeringSlots,
  type SlotLayout,
  type SlotsInKernel,
} from '@egress-proxier/node-datapath';
import { CHAINS } from '../names.js';
import { savedRules } from '../state/iptables-save.js';
import type { KernelView } from './kernel-view.js';

export function slotsInKernel(view: KernelView, layout: SlotLayout, table: NodeEgressTable): SlotsInKernel {
  return steeringSlots(view, layout, table, markedInMangle(view));
}

function markedInMangle(view: KernelView): number[] {
  const marks: number[] = [];
  for (const family of view.iptables.values()) {
    if (family.kind !== 'read' || family.saved === undefined) continue;
    for (const spec of savedRules(family.saved, 'mangle', CHAINS.mark)) {
      const mark = /--set-xmark (0x[0-9a-f]+)\//.exec(spec)?.[1];
      if (mark !== undefined) marks.push(Number(mark));
    }
  }
  return marks;
}
