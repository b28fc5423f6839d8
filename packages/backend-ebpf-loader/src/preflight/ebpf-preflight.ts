// What the eBPF datapath needs from the kernel, read from one `bpftool -j feature probe kernel` (it loads tiny
// test programs and maps and removes them: the host is left as it was): the bpf syscall, tc classifier
// programs, the map types of bpf/egress_maps.h, and the helpers the programs call. A missing helper would
// otherwise surface as a verifier rejection at the first load, far from its cause. Without CAP_SYS_ADMIN (the
// agent's deploy/ebpf capabilities) bpftool refuses the full probe; the check is then a trial load of the
// object itself into a scratch directory on the bpffs, unpinned at once.
import { rm } from 'node:fs/promises';
import { basename } from 'node:path';
import { commandCheck, ExecError, type Exec, type PreflightCheck } from '@egress-proxier/core/plugin';

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

/** Where the fallback check loads the programs: the object, and a directory on the bpffs that it removes. */
export interface TrialLoad {
  object: string;
  scratchDir: string;
}

export async function ebpfPreflightChecks(
  exec: Exec,
  signal: AbortSignal,
  trial: TrialLoad,
): Promise<PreflightCheck[]> {
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
    // With -j, bpftool prints its error as JSON on stdout.
    const output =
      error instanceof ExecError ? `${error.result?.stdout ?? ''} ${error.result?.stderr ?? ''}` : '';
    const detail = `${error instanceof Error ? error.message : String(error)} ${output}`.trim();
    // bpftool's full probe needs CAP_SYS_ADMIN, which the agent is not given (deploy/ebpf): then the check is
    // the load itself, which answers for the syscall, the program and map types and every helper at once.
    if (detail.includes('missing CAP_SYS_ADMIN'))
      return [await tc, await trialLoadCheck(exec, trial, signal)];
    return [
      await tc,
      {
        name: 'bpftool feature probe',
        ok: false,
        detail,
        remedy:
          'install bpftool (Debian: bpftool) and run the agent with CAP_BPF, CAP_NET_ADMIN and CAP_PERFMON',
      },
    ];
  }
  return [await tc, ...featureChecks(probe)];
}

/** Loads the programs into `scratchDir` and unpins them: the kernel's verifier judges the real object. */
export async function trialLoadCheck(
  exec: Exec,
  trial: TrialLoad,
  signal: AbortSignal,
): Promise<PreflightCheck> {
  const name = `programs load (the kernel's verifier accepts ${basename(trial.object)})`;
  try {
    await exec.run({
      command: 'bpftool',
      args: ['prog', 'loadall', trial.object, trial.scratchDir],
      timeoutMs: 30_000,
      signal,
    });
    return { name, ok: true, detail: 'loaded and unpinned' };
  } catch (error) {
    const output = error instanceof ExecError ? ` ${error.result?.stderr ?? ''}` : '';
    return {
      name,
      ok: false,
      detail: `${error instanceof Error ? error.message : String(error)}${output}`.trim(),
      remedy:
        'Linux 5.10 or later, bpftool, CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN (CAP_SYS_RESOURCE before 5.11), and a bpffs at the pin directory',
    };
  } finally {
    await rm(trial.scratchDir, { recursive: true, force: true });
  }
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
