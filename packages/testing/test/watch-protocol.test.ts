import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { startApiServer, type RunningApiServer } from '../src/index.js';

interface WatchLine {
  type: string;
  object: {
    metadata?: { name?: string; resourceVersion?: string };
    code?: number;
    reason?: string;
    message?: string;
    kind?: string;
  };
}

/** Reads a watch stream to its end (the server closes it at timeoutSeconds or on an error). */
async function watchAll(url: string): Promise<WatchLine[]> {
  const response = await fetch(url);
  expect(response.status).to.equal(200);
  const text = await response.text();
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as WatchLine);
}

describe('watch protocol over HTTP', function () {
  this.timeout(10_000);
  let server: RunningApiServer;
  const cm = (name: string, labels: Record<string, string> = {}) =>
    server.store.put({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name, namespace: 'default', labels },
    });

  before(async () => {
    server = await startApiServer({ historySize: 5, bookmarkIntervalMs: 100 });
  });
  after(() => server?.close());

  it('without resourceVersion: synthetic ADDED for what exists, honouring selectors, then ends at timeoutSeconds', async () => {
    cm('w1', { app: 'a' });
    cm('w2', { app: 'b' });
    const lines = await watchAll(
      `${server.url}/api/v1/namespaces/default/configmaps?watch=1&timeoutSeconds=1&labelSelector=app%3Da`,
    );
    expect(lines.map((l) => `${l.type} ${l.object.metadata?.name}`)).to.deep.equal(['ADDED w1']);
  });

  it('from a resourceVersion: replays, turns selector transitions into ADDED/DELETED, and sends BOOKMARKs', async () => {
    const start = server.store.resourceVersion();
    cm('w3', { app: 'a' });
    cm('w3', { app: 'b' });
    server.store.delete('v1', 'ConfigMap', 'w1', 'default');
    const lines = await watchAll(
      `${server.url}/api/v1/watch/namespaces/default/configmaps?resourceVersion=${start}&timeoutSeconds=1&labelSelector=app%3Da&allowWatchBookmarks=true`,
    );
    const events = lines
      .filter((l) => l.type !== 'BOOKMARK')
      .map((l) => `${l.type} ${l.object.metadata?.name}`);
    expect(events).to.deep.equal(['ADDED w3', 'DELETED w3', 'DELETED w1']);
    const bookmark = lines.find((l) => l.type === 'BOOKMARK');
    expect(bookmark?.object.kind).to.equal('ConfigMap');
    expect(Number(bookmark?.object.metadata?.resourceVersion)).to.equal(server.store.resourceVersion());
  });

  it('answers a too-old resourceVersion with an ERROR event carrying 410 Expired', async () => {
    const old = server.store.resourceVersion();
    for (let i = 0; i < 6; i++) cm(`churn-${i}`);
    const lines = await watchAll(
      `${server.url}/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${old}`,
    );
    expect(lines).to.have.length(1);
    expect(lines[0]?.type).to.equal('ERROR');
    expect(lines[0]?.object).to.include({ kind: 'Status', code: 410, reason: 'Expired' });
    expect(lines[0]?.object.message).to.match(/^too old resource version: \d+ \(\d+\)$/);
  });

  it('exposes faults over HTTP for other processes', async () => {
    const post = (path: string, body: object) =>
      fetch(`${server.url}/__fault/${path}`, { method: 'POST', body: JSON.stringify(body) });
    await post('fail', { count: 1, status: 429, verb: 'list' });
    const failed = await fetch(`${server.url}/api/v1/namespaces`);
    expect(failed.status).to.equal(429);
    expect(await failed.json()).to.include({ kind: 'Status', reason: 'TooManyRequests', code: 429 });
    expect((await fetch(`${server.url}/api/v1/namespaces`)).status).to.equal(200);
  });
});

describe('egress-proxier-apiserver process', function () {
  this.timeout(15_000);
  it('listens where told, writes a kubeconfig, serves, and exits on SIGTERM', async () => {
    const main = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
    const { mkdtemp, readFile, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const dir = await mkdtemp(`${tmpdir()}/apiserver-cli-`);
    const child = spawn(
      process.execPath,
      [main, '--listen', '127.0.0.1:0', '--https', '--kubeconfig-out', `${dir}/kubeconfig`],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      const firstLine = await new Promise<string>((resolve) =>
        createInterface(child.stdout).once('line', resolve),
      );
      const ready = JSON.parse(firstLine) as { url: string; kubeconfig: string };
      expect(ready.url).to.match(/^https:\/\/127\.0\.0\.1:\d+$/);
      expect(await readFile(ready.kubeconfig, 'utf8'))
        .to.contain(ready.url)
        .and.to.contain('certificate-authority-data');
      const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
      child.kill('SIGTERM');
      expect(await exited).to.equal(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  });
});
