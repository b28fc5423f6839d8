// A running proxier whose pins someone removed: the next sync that reads the maps back fails saying which map
// is missing, and the one after loads the programs again, refills the maps and re-points the filters; the one
// after that finds nothing to change. Needs root, bpftool, tc and `npm run build`'s objects.
import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import { assertLabPrerequisites, run, uniquePrefix } from '@egress-proxier/netlab';
import { mountBpffs } from './support/classify-lab.js';

const SCRIPT = fileURLToPath(new URL('./support/recover-sync.js', import.meta.url));

describe('the eBPF proxier recovers from pins removed under it (real kernel)', function () {
  this.timeout(60_000);
  const namespace = `${uniquePrefix('ebrec')}-node`;
  let bpffs: Awaited<ReturnType<typeof mountBpffs>> | undefined;

  before(async () => {
    await assertLabPrerequisites(['bpftool', 'tc', 'mount', 'umount']);
    await run('ip', ['netns', 'add', namespace]);
    const ip = (...args: string[]) => run('ip', ['-n', namespace, ...args]);
    await ip('link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0-peer');
    await ip('link', 'add', 'pod1', 'type', 'veth', 'peer', 'name', 'pod1-peer');
    for (const device of ['lo', 'eth0', 'eth0-peer', 'pod1', 'pod1-peer'])
      await ip('link', 'set', device, 'up');
    await ip('addr', 'add', '192.0.2.11/24', 'dev', 'eth0');
    await ip('route', 'add', '10.244.1.2/32', 'dev', 'pod1');
    bpffs = await mountBpffs('ebrec');
  });
  after(async () => {
    await run('ip', ['netns', 'del', namespace], { allowFailure: true });
    await bpffs?.release();
  });

  it('fails once, naming the missing map, then repairs', async () => {
    const result = await run('ip', [
      ...['netns', 'exec', namespace],
      ...[process.execPath, SCRIPT, `${bpffs?.dir}/egress-proxier`],
    ]);
    const outcome = JSON.parse(result.stdout.trim()) as { failed: string; repaired: boolean; again: boolean };
    expect(outcome.failed).to.match(/egp_cluster4/);
    expect(outcome.repaired, 'the repairing sync changed the node').to.equal(true);
    expect(outcome.again, 'and left nothing to change').to.equal(false);
  });
});
