// `cleanup`: removes exactly what this backend creates and nothing else: our tc filters (and a clsact qdisc
// left empty by them; tc-attach.ts spares anyone else's), everything pinned under the pin directory (programs,
// maps: the kernel frees them once no filter uses them), and our egress addresses on the uplink.
import { rm } from 'node:fs/promises';
import { readOwnedAddresses, removeAddresses, type CommandRunner } from '@egress-proxier/node-datapath';
import { detach } from '../loader/tc-attach.js';
import { readTcPrograms } from '../loader/tc-programs.js';

export async function cleanupEbpf(
  runner: CommandRunner,
  pinDir: string,
  uplink: string | undefined,
): Promise<void> {
  for (const attached of await readTcPrograms(runner)) await detach(runner, attached.device, 'ingress');
  await rm(pinDir, { recursive: true, force: true });
  if (uplink !== undefined) await removeAddresses(runner, [], await readOwnedAddresses(runner, uplink));
}
