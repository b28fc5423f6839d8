// Starting the SNAT tests' peer (snat-peer.ts) in a lab namespace: resolves once it listens on every address.
import { fileURLToPath } from 'node:url';
import type { Lab } from '@egress-proxier/netlab';

export const PEER = fileURLToPath(new URL('snat-peer.js', import.meta.url));
/** The ICMP prober (icmp-probe.py) lives beside the sources: tsc does not copy it to dist. */
export const ICMP_PROBE = fileURLToPath(new URL('../../../test/support/icmp-probe.py', import.meta.url));

export async function startPeer(
  lab: Lab,
  namespace: string,
  port: number,
  addresses: string[],
): Promise<void> {
  const child = lab.spawn(namespace, process.execPath, [PEER, 'serve', String(port), ...addresses]);
  await new Promise<void>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(
      () => reject(new Error(`peer in ${namespace} did not start: ${output}`)),
      10_000,
    );
    child.stdout?.on('data', (data: Buffer) => {
      output += data.toString();
      if (output.includes('listening')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.stderr?.on('data', (data: Buffer) => (output += data.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`peer in ${namespace} exited with ${code}: ${output}`));
    });
  });
}
