// Which gateway carried a client's connections: the SNAT entries in that node's conntrack table (closed TCP
// connections stay there in TIME_WAIT for minutes, so a short loop leaves one entry per connection).
import { runIn } from '@egress-proxier/netlab';

/**
 * Number of conntrack entries in `namespace` from `source` that this node SNATed and that closed after `since`
 * (epoch ms), so entries of earlier runs do not count: a TIME_WAIT entry starts with the full TIME_WAIT timeout
 * and counts down in whole seconds, so one with more than `timeout − elapsed − 1` seconds left closed after
 * `since`.
 */
export async function snatConnectionsClosedSince(
  namespace: string,
  source: string,
  since: number,
): Promise<number> {
  const timeWait = await runIn(namespace, 'sysctl', [
    '-n',
    'net.netfilter.nf_conntrack_tcp_timeout_time_wait',
  ]);
  const timeoutSeconds = Number(timeWait.stdout.trim());
  if (!Number.isInteger(timeoutSeconds)) throw new Error(`unreadable TIME_WAIT timeout: ${timeWait.stdout}`);
  // No allowFailure: a missing conntrack tool must fail the test, not read as zero connections.
  const { stdout } = await runIn(namespace, 'conntrack', ['-L', '-p', 'tcp', '-s', source, '--src-nat']);
  const elapsedSeconds = (Date.now() - since) / 1000;
  return stdout.split('\n').filter((line) => {
    const match = /^tcp\s+\d+\s+(\d+)\s+TIME_WAIT\b/.exec(line);
    return match !== null && Number(match[1]) > timeoutSeconds - elapsedSeconds - 1;
  }).length;
}
