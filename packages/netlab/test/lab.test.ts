// Real-kernel test of the lab itself: needs root, iproute2 and iptables; fails (never skips) without them.
import { expect } from 'chai';
import { createLab, destroyStale, uniquePrefix, type Lab } from '../src/index.js';
import { run } from '../src/run.js';

describe('netlab (real kernel, root)', function () {
  this.timeout(60_000);
  let lab: Lab;

  before(async () => {
    lab = await createLab({ prefix: uniquePrefix('nlt'), nodes: 2, podsPerNode: 1 });
  });
  after(async () => {
    await lab?.destroy();
  });

  it('shows the node IP to external servers: the CNI masquerade is the baseline', async () => {
    expect(await lab.connectFrom(lab.pod(1, 1), '198.51.100.10')).to.equal('192.0.2.11');
    expect(await lab.connectFrom(lab.pod(2, 1), '203.0.113.10')).to.equal('192.0.2.12');
  });

  it('routes pod to pod across nodes without NAT', async () => {
    await lab.startServer(lab.pod(2, 1).namespace, 9000);
    expect(await lab.connectFrom(lab.pod(1, 1), lab.pod(2, 1).ip, 9000)).to.equal(lab.pod(1, 1).ip);
  });

  it('lets the router forward without NAT: a node reaches an external server with its own address', async () => {
    expect(await lab.connectFrom(lab.node(2).namespace, '198.51.100.10')).to.equal('192.0.2.12');
  });

  it('reports a failed connection as an error', async () => {
    let failure: unknown;
    await lab
      .send(lab.pod(1, 1), '198.51.100.10', 0, 9999, 1000)
      .catch((error: unknown) => (failure = error));
    expect(String(failure)).to.match(/connection from nlt\w+-n1-p1 to 198\.51\.100\.10:9999 failed/);
  });

  it('destroyStale removes leftovers of a crashed run, and only those', async () => {
    await run('ip', ['netns', 'add', 'nlstale-n1']);
    await run('ip', ['netns', 'add', 'nlstale-keep']);
    try {
      expect(await destroyStale('nlstale')).to.deep.equal(['nlstale-n1']);
      const listed = (await run('ip', ['netns', 'list'])).stdout;
      expect(listed).to.not.match(/nlstale-n1\b/);
      expect(listed).to.match(/nlstale-keep/);
    } finally {
      await run('ip', ['netns', 'del', 'nlstale-keep'], { allowFailure: true });
      await run('ip', ['netns', 'del', 'nlstale-n1'], { allowFailure: true });
    }
  });
});
