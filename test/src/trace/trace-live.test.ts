// `egress-proxier trace --kubeconfig`: the CLI reads a live cluster (the in-memory API server over HTTP)
// with the agent's own lists, and judges gateways live by their heartbeat leases.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { parse } from 'yaml';
import { heartbeatLeaseName, HEARTBEAT_LABEL, type TraceResult } from '@egress-proxier/core';
import { startApiServer, type KubeObject, type RunningApiServer } from '@egress-proxier/testing';
import { REPO_ROOT } from '../deploy/repo-root.js';
import { nodeObject } from '../agent/support/agent-cluster.js';

const CLI = join(REPO_ROOT, 'packages/core/dist/src/cli/main.js');
const AGENTS = 'egress-proxier';

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

function heartbeat(node: string, renewedSecondsAgo: number): KubeObject {
  const renewTime = new Date(Date.now() - renewedSecondsAgo * 1000).toISOString().replace(/Z$/, '000Z');
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: heartbeatLeaseName(node), namespace: AGENTS, labels: { [HEARTBEAT_LABEL]: 'true' } },
    spec: { holderIdentity: node, leaseDurationSeconds: 30, renewTime },
  } as KubeObject;
}

describe('egress-proxier trace --kubeconfig (in-memory API server)', function () {
  this.timeout(30_000);
  let api: RunningApiServer;
  let dir: string;
  let kubeconfig: string;

  beforeEach(async () => {
    api = await startApiServer({ https: true });
    api.store.put(
      parse(
        await readFile(join(REPO_ROOT, 'deploy/crd/egress.proxier.io_egresses.yaml'), 'utf8'),
      ) as KubeObject,
    );
    for (const name of [AGENTS, 'payments'])
      api.store.put({
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name, labels: { 'kubernetes.io/metadata.name': name } },
      });
    api.store.put(nodeObject('gw-1', '192.0.2.1', '10.244.1.0/24'));
    api.store.put(nodeObject('gw-2', '192.0.2.2', '10.244.2.0/24'));
    api.store.put(nodeObject('worker', '192.0.2.3', '10.244.3.0/24', {}));
    api.store.put({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'client', namespace: 'payments', labels: { app: 'db-client' } },
      spec: { nodeName: 'worker', containers: [{ name: 'app', image: 'app' }] },
      status: { phase: 'Running', podIP: '10.244.3.5', podIPs: [{ ip: '10.244.3.5' }] },
    } as KubeObject);
    api.store.put({
      apiVersion: 'egress.proxier.io/v1alpha1',
      kind: 'Egress',
      metadata: { name: 'payments' },
      spec: { podSelector: { matchLabels: { app: 'db-client' } }, egressIPs: ['192.0.2.10'] },
    } as KubeObject);
    dir = await mkdtemp(join(tmpdir(), 'egress-trace-live-'));
    kubeconfig = join(dir, 'kubeconfig');
    await api.writeKubeconfig(kubeconfig);
  });

  afterEach(async () => {
    await api.close();
    await rm(dir, { recursive: true, force: true });
  });

  const trace = (...extra: string[]) =>
    run([
      'trace',
      '--kubeconfig',
      kubeconfig,
      '--from',
      'payments/client',
      '--to',
      '203.0.113.5:443',
      ...extra,
    ]);

  // Both ways round, so the answer cannot come from the rendezvous order alone.
  for (const [fresh, expired, nodeIP] of [
    ['gw-1', 'gw-2', '192.0.2.1'],
    ['gw-2', 'gw-1', '192.0.2.2'],
  ] as const)
    it(`steers to ${fresh}, whose heartbeat is fresh, not to ${expired}, whose lease expired`, async () => {
      api.store.put(heartbeat(expired, 60)); // a 30 s lease renewed a minute ago
      api.store.put(heartbeat(fresh, 1));
      const result = await trace('-o', 'json');
      expect(result.code, result.stderr).to.equal(0);
      const parsed = JSON.parse(result.stdout) as TraceResult;
      expect(parsed.decision).to.deep.equal({
        action: 'steer',
        policy: 'payments',
        egressIP: '192.0.2.10',
        gateway: { node: fresh, nodeIP },
      });
      expect(parsed.leavesAs).to.deep.equal({ kind: 'egressIP', address: '192.0.2.10', gatewayNode: fresh });
    });

  it('reports the FailClosed drop when no gateway has a fresh heartbeat', async () => {
    api.store.put(heartbeat('gw-1', 60));
    const result = await trace();
    expect(result.code, result.stderr).to.equal(0);
    expect(result.stdout).to.contain(
      'Action:        DROP on worker: FailClosed and no live gateway (192.0.2.10: no eligible node)',
    );
    expect(result.stdout).to.contain('Leaves as:     nothing: the packet is dropped');
  });

  it('exits 3 for a pod the cluster does not have', async () => {
    const result = await run([
      'trace',
      '--kubeconfig',
      kubeconfig,
      '--from',
      'payments/gone',
      '--to',
      '203.0.113.5',
    ]);
    expect(result.code).to.equal(3);
    expect(result.stderr).to.equal('error: pod payments/gone not found\n');
  });

  it('exits 1 with the reason when the cluster cannot be reached', async () => {
    await api.close();
    const result = await trace();
    expect(result.code).to.equal(1);
    expect(result.stderr).to.match(/^error: .*ECONNREFUSED/);
    api = await startApiServer({ https: true }); // for afterEach
  });
});
