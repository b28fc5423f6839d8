// README step 1 is `npm run demo`; this runs the same script so CI proves it still works end to end:
// real agents, the iptables backend, the in-memory API server, real TCP connections, a real failover.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

describe('npm run demo', function () {
  this.timeout(120_000);

  it('shows the egress IP from every node, fails over after kill -9, and cleans up', async () => {
    if (process.getuid?.() !== 0)
      throw new Error('the demo needs root (network namespaces): run the tests as root');
    const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>(
      (resolve) => {
        execFile(
          process.execPath,
          [path.join(repo, 'scripts/demo/demo.mjs')],
          { cwd: repo, timeout: 110_000 },
          (error, out, err) =>
            resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout: out, stderr: err }),
        );
      },
    );
    expect(code, `${stdout}\n${stderr}`).to.equal(0);
    expect(stdout).to.match(/pod-1-1\s+on node-1\s+→\s+203\.0\.113\.10 sees 192\.0\.2\.11\n/);
    expect(stdout).to.match(/pod-1-1\s+on node-1\s+→\s+203\.0\.113\.10 sees 192\.0\.2\.100\n/);
    expect(stdout).to.contain('both held it at once: never');
    // Step 3's `kubectl get pods`: reported as the kubelet would, every pod is ready and running.
    expect(stdout).to.match(/pod\/pod-1-1\s+1\/1\s+Running\s+0\s/);
    expect(stdout).to.not.match(/pod\/\S+\s+0\/1\s/);
    expect(stdout).to.contain('done');
    const { stdout: namespaces } = await new Promise<{ stdout: string }>((resolve) =>
      execFile('ip', ['netns', 'list'], (_e, out) => resolve({ stdout: out })),
    );
    expect(namespaces).to.not.match(/^demo/m);
  });
});
