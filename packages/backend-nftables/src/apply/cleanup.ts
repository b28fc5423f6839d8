// `cleanup`: deletes our table (everything of ours in nftables is in it) and the kit's node-level state (fwmark
// rules and routes of our table range, the VXLAN device, our egress addresses). Other tables are not touched.
import { cleanupNode, type CommandRunner } from '@egress-proxier/node-datapath';
import { TABLE } from '../names.js';
import type { NftablesOptions } from '../options.js';
import { readTerse } from './table-view.js';

export async function cleanupAll(
  runner: CommandRunner,
  options: NftablesOptions,
  uplink: string | undefined,
): Promise<void> {
  if ((await readTerse(runner)) !== undefined)
    await runner.run({ command: 'nft', args: ['-f', '-'] }, { input: `delete table ${TABLE}\n` });
  await cleanupNode(runner, options, uplink);
}
