// Which gateway carried a client's connections under the eBPF backend: its BPF NAT has no conntrack entries,
// so the evidence is the gateway's own NAT map, the reverse entries translating back to the client whose
// last packet came after `since` (the counterpart of conntrack.ts for backend-iptables).
import { ExecaExec, silentLogger } from '@egress-proxier/core';
import { decodeNatEntries, readNatMaps } from '@egress-proxier/backend-ebpf-loader';
import { CommandRunner } from '@egress-proxier/node-datapath';

export async function natFlowsSince(pinDir: string, pod: string, since: number): Promise<number> {
  const runner = new CommandRunner(new ExecaExec(silentLogger()), new AbortController().signal);
  const dumps = await readNatMaps(runner, `${pinDir}/maps`);
  // bpf_ktime_get_ns() and process.hrtime.bigint() are both CLOCK_MONOTONIC: an entry's age, then its time.
  const nowNs = process.hrtime.bigint();
  const now = Date.now();
  return decodeNatEntries('rev4', dumps.rev4).filter(
    ({ value }) => value.pod === pod && now - Number((nowNs - value.lastSeenNs) / 1_000_000n) > since,
  ).length;
}
