// Fails early, naming the Debian package to install, when the guest lab cannot run here (never a skip).
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { promisify } from 'node:util';

export const VIRTIOFSD = '/usr/lib/qemu/virtiofsd';

export class GuestPrerequisiteError extends Error {
  override name = 'GuestPrerequisiteError';
}

/** Where the tools are looked for; tests hand in an empty one to see the message. */
export interface ToolEnvironment {
  path: readonly string[];
  virtiofsd: string;
  /** The package whose installation provides the initramfs's static busybox. */
  busyboxPackage: string;
}

export const HOST_TOOLS: ToolEnvironment = {
  path: [
    ...(process.env.PATH ?? '').split(':').filter((dir) => dir !== ''),
    '/usr/local/sbin',
    '/usr/local/bin',
    '/usr/sbin',
    '/usr/bin',
    '/sbin',
    '/bin',
  ],
  virtiofsd: VIRTIOFSD,
  busyboxPackage: 'busybox-static',
};

/** What the lab runs on the host (and build-image.sh), and the Debian package that ships it. */
function tools(environment: ToolEnvironment): ReadonlyArray<{ tool: string; debianPackage: string }> {
  return [
    { tool: 'qemu-system-x86_64', debianPackage: 'qemu-system-x86' },
    { tool: environment.virtiofsd, debianPackage: 'qemu-system-common' },
    { tool: 'depmod', debianPackage: 'kmod' },
    { tool: 'modprobe', debianPackage: 'kmod' },
    { tool: 'setpriv', debianPackage: 'util-linux' },
    { tool: 'unshare', debianPackage: 'util-linux' },
    { tool: 'apt-get', debianPackage: 'apt' },
    { tool: 'dpkg-deb', debianPackage: 'dpkg' },
  ];
}

function executable(tool: string, path: readonly string[]): boolean {
  const candidates = tool.startsWith('/') ? [tool] : path.map((dir) => `${dir}/${tool}`);
  return candidates.some((candidate) => {
    try {
      accessSync(candidate, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** The initramfs has no libraries: only busybox-static's /bin/busybox runs there, not package busybox's. */
async function installed(debianPackage: string): Promise<boolean> {
  try {
    const { stdout } = await promisify(execFile)('dpkg-query', ['-W', '-f=${Status}', debianPackage]);
    return stdout.includes('install ok installed');
  } catch {
    return false;
  }
}

export async function assertGuestPrerequisites(environment: ToolEnvironment = HOST_TOOLS): Promise<void> {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
    throw new GuestPrerequisiteError(
      'the guest lab needs root (uid 0): virtiofsd binds the host root in a private mount namespace',
    );
  }
  const missing = tools(environment).filter(({ tool }) => !executable(tool, environment.path));
  if (!(await installed(environment.busyboxPackage))) {
    missing.push({ tool: 'a static busybox', debianPackage: 'busybox-static' });
  }
  if (missing.length > 0) {
    const packages = [...new Set(missing.map(({ debianPackage }) => debianPackage))].join(' ');
    throw new GuestPrerequisiteError(
      `the guest lab needs ${missing.map(({ tool }) => tool).join(', ')} ` +
        `(apt-get install --no-install-recommends ${packages}; scripts/setup.sh installs them)`,
    );
  }
}
