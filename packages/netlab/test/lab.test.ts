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

  it('sends bytes over one connection and reports what the server received, also spread over time', async () => {
    expect(await lab.send(lab.pod(1, 1), '198.51.100.10', 3 * 1024 * 1024)).to.deep.equal({
      source: '192.0.2.11',
      bytes: 3 * 1024 * 1024,
    });
    const started = Date.now();
    expect(await lab.send(lab.pod(1, 1), '198.51.100.10', 5, undefined, 3000, 400)).to.deep.equal({
      source: '192.0.2.11',
      bytes: 5,
    });
    expect(Date.now() - started).to.be.at.least(300);
  });

  it('serves concurrent connections from a namespace with one long-running probe agent', async () => {
    const sources = await Promise.all(
      Array.from({ length: 20 }, () => lab.connectFrom(lab.pod(2, 1), '203.0.113.10')),
    );
    expect(new Set(sources)).to.deep.equal(new Set(['192.0.2.12']));
    const pids = (await run('ip', ['netns', 'pids', lab.pod(2, 1).namespace])).stdout.trim().split('\n');
    const commandLines = await Promise.all(
      pids.map(async (pid) => (await run('cat', [`/proc/${pid}/cmdline`])).stdout),
    );
    expect(commandLines.filter((line) => line.includes('probe-agent'))).to.have.length(1);
  });

  it('says when a connection times out', async () => {
    // 192.0.2.99 is on the underlay's subnet but nobody has it: the SYN goes unanswered.
    const failure = await lab
      .connectFrom(lab.pod(1, 1), '192.0.2.99', 8080, 500)
      .catch((error: unknown) => error);
    expect(String(failure)).to.match(/to 192\.0\.2\.99:8080 failed: timed out after 500 ms/);
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
