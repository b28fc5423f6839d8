// The two host programs of a guest machine and their arguments (docs/guest-lab.md).
import { VIRTIOFSD } from './prerequisites.js';

export interface MachinePaths {
  /** Empty directory where virtiofsd's private mount namespace binds the host's root read-only. */
  rootMount: string;
  virtiofsSocket: string;
  agentSocket: string;
  consoleLog: string;
}

export interface QemuSettings {
  kernel: string;
  initrd: string;
  cpus: number;
  memoryMiB: number;
  /** Passed to the guest's init as environment (scripts/guest/init). */
  node: string;
  agent: string;
  modulesRoot: string;
}

/**
 * virtiofsd serving a read-only bind of / (so argv with host paths works unchanged in the guest). The bind
 * lives in a private mount namespace: nothing changes in the host's mounts. virtiofsd needs a writable
 * /var/run for its PID file, hence a read-only bind rather than / remounted read-only. cache=always: what
 * the guest reads does not change under a test, and it halves the cost of an exec in the guest (~30 ms
 * instead of ~65: ld.so and the libraries are looked up again on every exec otherwise). A file rebuilt on
 * the host while a guest runs may look stale to it: boot a new one.
 */
export function virtiofsdArgv(paths: MachinePaths): string[] {
  const script =
    'mount --bind / "$1" && mount -o remount,bind,ro "$1" && ' +
    `exec ${VIRTIOFSD} --socket-path="$2" -o source="$1" -o cache=always -o sandbox=namespace`;
  return [
    'unshare',
    '--mount',
    '--propagation',
    'private',
    'sh',
    '-c',
    script,
    'sh',
    paths.rootMount,
    paths.virtiofsSocket,
  ];
}

/**
 * TCG (KVM here cannot run a stock Debian kernel), the default CPU model (`-cpu max` makes node start twice
 * as slowly), no network device at all: the guest's traffic stays in the namespaces it creates itself.
 */
export function qemuArgv(paths: MachinePaths, settings: QemuSettings): string[] {
  const append = [
    'console=ttyS0',
    'quiet',
    'panic=-1',
    `egp_node=${settings.node}`,
    `egp_agent=${settings.agent}`,
    `egp_modules=${settings.modulesRoot}`,
  ].join(' ');
  return [
    'qemu-system-x86_64',
    '-accel',
    'tcg',
    '-smp',
    String(settings.cpus),
    '-m',
    String(settings.memoryMiB),
    '-nodefaults',
    '-display',
    'none',
    '-no-reboot',
    '-nic',
    'none',
    '-kernel',
    settings.kernel,
    '-initrd',
    settings.initrd,
    '-append',
    append,
    '-serial',
    `file:${paths.consoleLog}`,
    // vhost-user (virtiofsd) needs the guest's memory shared with it.
    '-object',
    `memory-backend-memfd,id=mem,size=${settings.memoryMiB}M,share=on`,
    '-numa',
    'node,memdev=mem',
    '-chardev',
    `socket,id=vfs,path=${paths.virtiofsSocket}`,
    '-device',
    'vhost-user-fs-pci,chardev=vfs,tag=host',
    '-device',
    'virtio-serial-pci',
    '-chardev',
    `socket,id=agent,path=${paths.agentSocket},server=on,wait=off`,
    '-device',
    'virtserialport,chardev=agent,name=egp',
  ];
}
