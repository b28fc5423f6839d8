// A running proxier whose pins someone removed: the next sync that reads the maps back fails saying which map
// is missing, and the one after loads the programs again, refills the maps and re-points the filters; the one
// after that finds nothing to change. Needs root, bpftool, tc and `npm run build`'s objects.
import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import { assertLabPrerequisites, run } from '@egress-proxier/netlab';
import { createProxierNode, type ProxierNode } from './support/proxier-node.js';

const SCRIPT = fileURLToPath(new URL('./support/recover-sync.js', import.meta.url));

describe('the eBPF proxier recovers from pins removed under it (real kernel)', function () {
  this.timeout(60_000);
  let node: ProxierNode | undefined;

  before(async () => {
    await assertLabPrerequisites(['bpftool', 'tc', 'mount', 'umount']);
    node = await createProxierNode('ebrec');
  });
  after(async () => {
    await node?.destroy();
  });

  it('fails once, naming the missing map, then repairs', async () => {
    if (node === undefined) throw new Error('the node namespace was not built (see the before hook)');
    const result = await run('ip', [
      ...['netns', 'exec', node.namespace],
      ...[process.execPath, SCRIPT, node.pinDir],
    ]);
    const outcome = JSON.parse(result.stdout.trim()) as { failed: string; repaired: boolean; again: boolean };
    expect(outcome.failed).to.match(/egp_cluster4/);
    expect(outcome.repaired, 'the repairing sync changed the node').to.equal(true);
    expect(outcome.again, 'and left nothing to change').to.equal(false);
  });
});
