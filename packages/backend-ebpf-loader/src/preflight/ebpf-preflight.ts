// What the eBPF datapath needs from the kernel, read from one `bpftool -j feature probe kernel` (it loads tiny
// test programs and maps and removes them: the host is left as it was): the bpf syscall, tc classifier
// programs, the map types of bpf/egress_maps.h, and the helpers the programs call. A missing helper would
// otherwise surface as a verifier rejection at the first load, far from its cause.
import { commandCheck, type Exec, type PreflightCheck } from '@egress-proxier/core/plugin';

/** Helpers the programs call at tc (sched_cls), with what each one is for. */
export const REQUIRED_HELPERS: Readonly<Record<string, string>> = {
  bpf_map_lookup_elem: 'policy and NAT lookups',
  bpf_redirect_neigh: 'steering to the gateway node past the CNI masquerade (Linux 5.10)',
  bpf_l3_csum_replace: 'IPv4 header checksum after SNAT',
  bpf_l4_csum_replace: 'TCP/UDP/ICMP checksums after SNAT',
  bpf_csum_diff: 'IPv6 address changes in checksums',
};

const REQUIRED_MAP_TYPES: Readonly<Record<string, string>> = {
  have_lpm_trie_map_type: 'LPM trie (policy and cluster maps)',
  have_lru_hash_map_type: 'LRU hash (NAT entries)',
};

interface FeatureProbe {
  syscall_config?: { have_bpf_syscall?: boolean };
  program_types?: Record<string, boolean>;
  map_types?: Record<string, boolean>;
  helpers?: Record<string, string[]>;
}

export async function ebpfPreflightChecks(exec: Exec, signal: AbortSignal): Promise<PreflightCheck[]> {
  const tc = commandCheck(exec, {
    name: 'tc (iproute2: clsact qdisc and bpf filters)',
    command: 'tc',
    args: ['-V'],
    remedy: 'install iproute2',
    signal,
  });
  let probe: FeatureProbe;
  try {
    const result = await exec.run({
      command: 'bpftool',
      args: ['-j', 'feature', 'probe', 'kernel'],
      timeoutMs: 30_000,
      signal,
    });
    probe = JSON.parse(result.stdout) as FeatureProbe;
  } catch (error) {
    return [
      await tc,
      {
        name: 'bpftool feature probe',
        ok: false,
        detail: error instanceof Error ? error.message : String(error),
        remedy:
          'install bpftool (Debian: bpftool) and run the agent with CAP_BPF, CAP_NET_ADMIN and CAP_PERFMON',
      },
    ];
  }
  return [await tc, ...featureChecks(probe)];
}

/** The checks a probe's JSON answers (pure, for tests). */
export function featureChecks(probe: FeatureProbe): PreflightCheck[] {
  const check = (name: string, ok: boolean, remedy: string): PreflightCheck =>
    ok ? { name, ok, detail: 'available' } : { name, ok, detail: 'not available', remedy };
  const helpers = new Set(probe.helpers?.['sched_cls_available_helpers'] ?? []);
  return [
    check(
      'bpf syscall',
      probe.syscall_config?.have_bpf_syscall === true,
      'a kernel built with CONFIG_BPF_SYSCALL, and CAP_BPF (or CAP_SYS_ADMIN) for the agent',
    ),
    check(
      'tc BPF programs (sched_cls)',
      probe.program_types?.['have_sched_cls_prog_type'] === true,
      'a kernel with CONFIG_NET_CLS_BPF and CONFIG_NET_SCH_INGRESS',
    ),
    ...Object.entries(REQUIRED_MAP_TYPES).map(([key, what]) =>
      check(`map type: ${what}`, probe.map_types?.[key] === true, 'a newer kernel (5.10 or later)'),
    ),
    ...Object.entries(REQUIRED_HELPERS).map(([helper, why]) =>
      check(`helper ${helper} (${why})`, helpers.has(helper), 'a newer kernel (5.10 or later)'),
    ),
  ];
}
