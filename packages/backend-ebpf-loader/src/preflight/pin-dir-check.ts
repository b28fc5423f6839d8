// The pin directory must be on a bpffs, or pinning fails at the first load with an unhelpful EPERM, and it must
// be the host's bpffs mounted into the container, or pins die with the container and a restarted agent cannot
// adopt its programs (NAT state and connections lost). The directory itself may not exist yet (the first sync
// makes it): its nearest existing ancestor decides, read with one `stat -f` over the path and its parents.
import type { Exec, PreflightCheck } from '@egress-proxier/core/plugin';

/** BPF_FS_MAGIC, as `stat -f -c %t` prints it. */
const BPF_FS_MAGIC = 'cafe4a11';

export async function pinDirCheck(exec: Exec, pinDir: string, signal: AbortSignal): Promise<PreflightCheck> {
  const name = `bpffs at ${pinDir}`;
  const remedy = `mount the host's bpffs (mount -t bpf bpf /sys/fs/bpf) and give the agent that mount, or set --ebpf-pin-dir to a directory on it`;
  const candidates = ancestors(pinDir);
  const result = await exec
    .run({ command: 'stat', args: ['-f', '-c', '%t %n', ...candidates], allowedExitCodes: [0, 1], signal })
    .catch((error: unknown) => error as Error);
  if (result instanceof Error)
    return { name, ok: false, detail: result.message, remedy: 'install coreutils' };
  const types = new Map(
    result.stdout
      .split('\n')
      .map((line) => /^([0-9a-f]+) (.+)$/.exec(line.trim()))
      .flatMap((match) => (match === null ? [] : [[match[2] ?? '', match[1] ?? ''] as const])),
  );
  const nearest = candidates.find((path) => types.has(path));
  if (nearest === undefined) return { name, ok: false, detail: 'no part of the path exists', remedy };
  const type = types.get(nearest);
  return type === BPF_FS_MAGIC
    ? {
        name,
        ok: true,
        detail: nearest === pinDir ? 'bpffs' : `bpffs (at ${nearest}; made at the first sync)`,
      }
    : { name, ok: false, detail: `${nearest} is on a filesystem of type 0x${type}, not bpffs`, remedy };
}

/** The path, then each parent up to `/`. */
function ancestors(path: string): string[] {
  const parts = path.split('/').filter((part) => part !== '');
  return parts.map((_, index) => `/${parts.slice(0, parts.length - index).join('/')}`).concat('/');
}
