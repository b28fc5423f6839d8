// Fails early, with a message that says what to do, when the lab cannot run here.
import { run } from './run.js';

export class LabPrerequisiteError extends Error {
  override name = 'LabPrerequisiteError';
}

export async function assertLabPrerequisites(tools: readonly string[] = []): Promise<void> {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
    throw new LabPrerequisiteError(
      'the network lab needs root (uid 0) to create network namespaces; run these real-kernel tests as root',
    );
  }
  const missing: string[] = [];
  for (const tool of ['ip', 'sysctl', ...tools]) {
    const found = await run('sh', ['-c', 'command -v "$1"', 'sh', tool], { allowFailure: true });
    if (found.exitCode !== 0) missing.push(tool);
  }
  if (missing.length > 0) {
    const packages = [...new Set(missing.map(debianPackageOf))].join(' ');
    throw new LabPrerequisiteError(
      `the network lab needs these tools on PATH: ${missing.join(', ')} (apt-get install ${packages}; ` +
        'scripts/setup.sh installs them)',
    );
  }
}

/** The Debian package that ships a tool (kubectl is not Debian's: it comes with the machine image). */
function debianPackageOf(tool: string): string {
  if (tool.startsWith('iptables') || tool.startsWith('ip6tables')) return 'iptables';
  const packages: Record<string, string> = {
    ip: 'iproute2',
    bridge: 'iproute2',
    tc: 'iproute2',
    sysctl: 'procps',
    ndptool: 'libndp-tools',
    nft: 'nftables',
    nsenter: 'util-linux',
  };
  return packages[tool] ?? tool;
}
