// Makes the kernel match a DesiredDatapath: the kit adds what the new table will use (tunnel, routes and rules,
// addresses) before our one nft transaction, and removes what the old one used after it, so no mark leads to a
// missing route and no SNAT to a missing address. The transaction is the whole table when its structure
// differs from the kernel's (or the kernel's is unknown), else only the elements that differ.
import {
  prepareNode,
  retireNode,
  type NodeApplyContext,
  type NodeKernelView,
  type Run,
} from '@egress-proxier/node-datapath';
import type { DesiredDatapath } from '../model/nft-table.js';
import { elementScript, elementSets, fullScript, structureDigest } from '../render/nft-script.js';
import type { TableView } from './table-view.js';

export interface ApplyOutcome {
  /** Commands run; zero means the kernel already matched. */
  commands: number;
  /** How the table was written: not at all, element by element, or whole. */
  tableWrite: 'none' | 'elements' | 'full';
  elementChanges: number;
  /** The desired table's elements (elementSets): what the kernel holds after this apply. */
  elements: Map<string, Set<string>>;
}

export async function applyDatapath(
  context: NodeApplyContext,
  desired: DesiredDatapath,
  node: NodeKernelView,
  table: TableView,
): Promise<ApplyOutcome> {
  let commands = 0;
  const run: Run = async (command, input) => {
    commands++;
    await context.runner.run(command, input === undefined ? {} : { input });
  };
  commands += await prepareNode(run, context, desired, node);

  const nft = (script: string) => run({ command: 'nft', args: ['-f', '-'] }, script);
  let tableWrite: ApplyOutcome['tableWrite'] = 'none';
  let elementChanges = 0;
  const elements = elementSets(desired.nft);
  if (table.kind === 'absent' || table.structure !== structureDigest(desired.nft)) {
    await nft(fullScript(desired.nft));
    tableWrite = 'full';
    elementChanges = desired.nft.sets.reduce((sum, set) => sum + set.elements.length, 0);
  } else {
    const { script, changes } = elementScript(table.listing.elements, elements);
    if (script !== '') {
      await nft(script);
      tableWrite = 'elements';
      elementChanges = changes;
    }
  }

  commands += await retireNode(run, context, desired, node);
  return { commands, tableWrite, elementChanges, elements };
}
