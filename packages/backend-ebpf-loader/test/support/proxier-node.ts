// A node namespace for tests that run the proxier as its own process (capped-sync.ts, recover-sync.ts): an
// uplink eth0 at 192.0.2.11/24 with a default route, a pod device pod1 routing to 10.244.1.2, and a bpffs of the
// test's own for the pins. `destroy` removes both, also after a failure.
import { run, uniquePrefix } from '@egress-proxier/netlab';
import { mountBpffs } from './classify-lab.js';

export interface ProxierNode {
  namespace: string;
  /** Where the proxier pins (on the test's bpffs). */
  pinDir: string;
  destroy(): Promise<void>;
}

export async function createProxierNode(prefix: string): Promise<ProxierNode> {
  const namespace = `${uniquePrefix(prefix)}-node`;
  await run('ip', ['netns', 'add', namespace]);
  let bpffs: Awaited<ReturnType<typeof mountBpffs>> | undefined;
  const destroy = async () => {
    await run('ip', ['netns', 'del', namespace], { allowFailure: true });
    await bpffs?.release();
  };
  try {
    const ip = (...args: string[]) => run('ip', ['-n', namespace, ...args]);
    await ip('link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0-peer');
    await ip('link', 'add', 'pod1', 'type', 'veth', 'peer', 'name', 'pod1-peer');
    for (const device of ['lo', 'eth0', 'eth0-peer', 'pod1', 'pod1-peer'])
      await ip('link', 'set', device, 'up');
    await ip('addr', 'add', '192.0.2.11/24', 'dev', 'eth0');
    await ip('route', 'add', 'default', 'via', '192.0.2.1');
    await ip('route', 'add', '10.244.1.2/32', 'dev', 'pod1');
    bpffs = await mountBpffs(prefix);
  } catch (error) {
    await destroy();
    throw error;
  }
  return { namespace, pinDir: `${bpffs.dir}/egress-proxier`, destroy };
}
