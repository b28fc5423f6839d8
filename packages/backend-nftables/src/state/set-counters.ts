// The traffic metrics' counters: the per-element counters of the sent and opened sets (`nft -j list set`),
// one element per hosted egress IP. The count chain runs after every nat chain, so a packet's source is its
// egress IP by then: `sent` counts every packet's bytes, `opened` only connections' first packets. Both
// restart at zero when the table is written whole (a structure change); element writes keep them.
import { canonicalIP, type EgressIPTraffic, type IPFamily } from '@egress-proxier/core/plugin';
import type { CommandRunner } from '@egress-proxier/node-datapath';
import { TABLE_FAMILY, TABLE_NAME, setNames } from '../names.js';

export interface ElementCounter {
  ip: string;
  packets: number;
  bytes: number;
}

export async function readSetCounters(
  runner: CommandRunner,
  families: readonly IPFamily[],
): Promise<Map<string, EgressIPTraffic>> {
  const totals = new Map<string, EgressIPTraffic>();
  for (const family of families) {
    const { sent, opened } = setNames(family);
    const [bytes, connections] = await Promise.all(
      [sent, opened].map(async (set) =>
        parseSetCounters(await runner.stdout('nft', '-j', 'list', 'set', TABLE_FAMILY, TABLE_NAME, set)),
      ),
    );
    const openedByIP = new Map(connections?.map((counter) => [counter.ip, counter.packets]));
    for (const { ip, bytes: sentBytes } of bytes ?? [])
      totals.set(ip, { egressIP: ip, connections: openedByIP.get(ip) ?? 0, bytes: sentBytes });
  }
  return totals;
}

/** The elements of one counted set in `nft -j list set` output: `{"elem": {"val": IP, "counter": {…}}}`. */
export function parseSetCounters(text: string): ElementCounter[] {
  const parsed = JSON.parse(text) as { nftables?: unknown[] };
  if (!Array.isArray(parsed.nftables)) throw new Error('nft -j output has no "nftables" array');
  const counters: ElementCounter[] = [];
  for (const object of parsed.nftables) {
    const set = (object as { set?: { elem?: unknown } }).set;
    if (set === undefined) continue;
    for (const item of Array.isArray(set.elem) ? set.elem : []) {
      const elem = (item as { elem?: { val?: unknown; counter?: { packets?: unknown; bytes?: unknown } } })
        .elem;
      const ip = typeof elem?.val === 'string' ? canonicalIP(elem.val) : null;
      const { packets, bytes } = elem?.counter ?? {};
      if (ip === null || typeof packets !== 'number' || typeof bytes !== 'number')
        throw new Error(`unexpected element of a counted set: ${JSON.stringify(item)}`);
      counters.push({ ip, packets, bytes });
    }
  }
  return counters;
}
