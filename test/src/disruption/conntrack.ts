// Which gateway carried a client's connections: the SNAT entries in that node's conntrack table (closed TCP
// connections stay there in TIME_WAIT for minutes, so a short loop leaves one entry per connection).
import { runIn } from '@egress-proxier/netlab';

/** Number of conntrack entries in `namespace` from `source` that this node SNATed. */
export async function snatConnectionsVia(namespace: string, source: string): Promise<number> {
  // No allowFailure: a missing conntrack tool must fail the test, not read as zero connections.
  const { stdout } = await runIn(namespace, 'conntrack', ['-L', '-p', 'tcp', '-s', source, '--src-nat']);
  return stdout.split('\n').filter((line) => line.startsWith('tcp')).length;
}
