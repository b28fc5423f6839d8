// `egress-proxier run` as the CLI starts it: flags → agent, a backend loaded by path with its own option,
// health and metrics endpoints.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { stringify } from 'yaml';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import {
  agentOptionsFromArgs,
  heartbeatLeaseName,
  parseDuration,
  startAgentFromArgs,
  type RunArgs,
} from '@egress-proxier/core';
import { AgentCluster, eventually } from './support/agent-cluster.js';
import { REPO_ROOT } from '../deploy/repo-root.js';
import { recordedTables } from './support/recording-plugin-module.js';

/** A backend whose preflight probes `--preflight-fixture-tool` (default `node`) with `--version`. */
const PREFLIGHT_FIXTURE = join(REPO_ROOT, 'packages/core/test/fixtures/preflight-plugin.mjs');
const MISSING_TOOL = 'egress-proxier-test-no-such-tool';

describe('egress-proxier run', function () {
  this.timeout(30_000);

  it('checks the restart hold against the lease', () => {
    const args = baseArgs();
    expect(agentOptionsFromArgs(args, {}).restartHoldMs).to.equal(20_000);
    expect(agentOptionsFromArgs({ ...args, 'restart-hold': '0s' }, {}).restartHoldMs).to.equal(0);
    expect(() => agentOptionsFromArgs({ ...args, 'restart-hold': '2s' }, {})).to.throw(/--restart-hold/);
    expect(() => agentOptionsFromArgs({ ...args, 'restart-hold': '10.5s' }, {})).to.throw(/whole seconds/);
  });

  it('parses durations and rejects a lease shorter than two renewals', () => {
    expect(parseDuration('1.5s')).to.equal(1500);
    expect(parseDuration('2m')).to.equal(120_000);
    expect(() => parseDuration('3')).to.throw(/invalid duration/);
    const args = baseArgs();
    expect(agentOptionsFromArgs(args, {}).fenceMarginMs).to.equal(1000);
    expect(() => agentOptionsFromArgs({ ...args, 'lease-duration': '1s' }, {})).to.throw(/twice/);
    expect(() => agentOptionsFromArgs({ ...args, 'lease-duration': '2500ms' }, {})).to.throw(/whole seconds/);
    expect(() => agentOptionsFromArgs({ ...args, 'leader-elect-renew-deadline': '20s' }, {})).to.throw(
      /--leader-elect-lease-duration must exceed --leader-elect-renew-deadline/,
    );
  });

  it('takes the peer port from --peer-port, else from the healthz address', () => {
    const args = baseArgs();
    expect(agentOptionsFromArgs({ ...args, 'peer-port': 9000 }, {}).peerPort).to.equal(9000);
    const { 'peer-port': _ignored, ...noPort } = args;
    const fromHealthz = { ...noPort, 'healthz-bind-address': '0.0.0.0:10300' };
    expect(agentOptionsFromArgs(fromHealthz, {}).peerPort).to.equal(10300);
    expect(agentOptionsFromArgs(fromHealthz, {}).peerFencing).to.equal(true);
    // A random healthz port cannot be the peers' port.
    expect(() => agentOptionsFromArgs(noPort, {})).to.throw(/--peer-port/);
    expect(agentOptionsFromArgs({ ...noPort, 'peer-fencing': false }, {}).peerFencing).to.equal(false);
    expect(() => agentOptionsFromArgs({ ...args, 'peer-port': 70000 }, {})).to.throw(/port/);
  });

  it('a passing preflight starts the agent (a failing warning does not stop it) and its sync counts reach /metrics', async () => {
    const cluster = await AgentCluster.start();
    const dir = await mkdtemp(join(tmpdir(), 'egress-proxier-run-'));
    try {
      const running = await startAgentFromArgs({
        ...baseArgs(),
        kubeconfig: await kubeconfigFor(cluster, dir),
        backend: PREFLIGHT_FIXTURE,
        'preflight-fixture-tool': 'node',
        'preflight-fixture-optional-tool': MISSING_TOOL,
      });
      try {
        await running.started;
        const res = await eventually(async () => {
          const res = await fetch(`http://127.0.0.1:${running.healthz?.port}/healthz`);
          expect(res.status).to.equal(200);
          return res;
        }, 10_000);
        expect(res.ok).to.equal(true);
        // The fixture's sync counts reach /metrics (no policy here: no rules).
        const metrics = await (await fetch(`http://127.0.0.1:${running.metrics?.port}/metrics`)).text();
        expect(metrics).to.include(
          'egress_proxier_backend_counts{backend="preflight-fixture",kind="rules"} 0',
        );
      } finally {
        await running.stop();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
      await cluster.close();
    }
  });

  it('runs the agent with a backend loaded by path, and serves healthz, livez and metrics', async () => {
    const cluster = await AgentCluster.start();
    const dir = await mkdtemp(join(tmpdir(), 'egress-proxier-run-'));
    try {
      const kubeconfig = join(dir, 'kubeconfig');
      // The test server speaks plain HTTP, which client-node accepts only with TLS verification off.
      const config = structuredClone(cluster.api.kubeconfig.object) as unknown as {
        clusters: { cluster: Record<string, unknown> }[];
      };
      for (const entry of config.clusters) entry.cluster['insecure-skip-tls-verify'] = true;
      await writeFile(kubeconfig, stringify(config));
      cluster.putPod('payments', 'client-1', 'node-a', '10.244.1.5', { app: 'db-client' });
      cluster.putEgress('payments', {
        podSelector: { matchLabels: { app: 'db-client' } },
        egressIPs: ['192.0.2.10'],
      });
      const running = await startAgentFromArgs({
        ...baseArgs(),
        kubeconfig,
        backend: fileURLToPath(new URL('./support/recording-plugin-module.js', import.meta.url)),
        'recording-label': 'blue',
      });
      try {
        const base = `http://127.0.0.1:${running.healthz?.port}`;
        await eventually(async () => {
          const res = await fetch(`${base}/healthz`);
          expect(res.status).to.equal(200);
          expect(recordedTables.at(-1)?.node).to.equal('node-a:blue');
          expect(recordedTables.at(-1)?.sourceSets[0]?.addresses).to.deep.equal(['10.244.1.5']);
        }, 10_000);
        expect((await fetch(`${base}/livez`)).status).to.equal(200);
        const peer = await fetch(`${base}/peer/api-status`);
        expect(await peer.json()).to.deep.equal({ node: 'node-a', apiReachable: true });
        const metrics = await (await fetch(`http://127.0.0.1:${running.metrics?.port}/metrics`)).text();
        expect(metrics).to.match(/egress_proxier_sync_proxy_rules_duration_seconds_count [1-9]/);
        expect(metrics).to.include('egress_proxier_leader');
      } finally {
        await running.stop();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
      await cluster.close();
    }
  });
});

/** Runs the real CLI and resolves with its exit code and output once it exits (or is killed after 15 s). */
function runCli(args: string[]): Promise<{ code: number | null; output: string }> {
  const cli = join(REPO_ROOT, 'packages/core/dist/src/cli/main.js');
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, ...args], { timeout: 15_000 }, (error, stdout, stderr) => {
      const code = error ? ((error as { code?: number }).code ?? null) : 0;
      resolve({ code: typeof code === 'number' ? code : null, output: stdout + stderr });
    });
  });
}

/** A kubeconfig file for the in-memory server (plain HTTP, so TLS verification is off). */
async function kubeconfigFor(cluster: AgentCluster, dir: string): Promise<string> {
  const kubeconfig = join(dir, 'kubeconfig');
  const config = structuredClone(cluster.api.kubeconfig.object) as unknown as {
    clusters: { cluster: Record<string, unknown> }[];
  };
  for (const entry of config.clusters) entry.cluster['insecure-skip-tls-verify'] = true;
  await writeFile(kubeconfig, stringify(config));
  return kubeconfig;
}

describe('egress-proxier run: a start that cannot succeed exits with the reason', function () {
  this.timeout(30_000);
  let cluster: AgentCluster;
  let dir: string;

  beforeEach(async () => {
    cluster = await AgentCluster.start();
    dir = await mkdtemp(join(tmpdir(), 'egress-proxier-run-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
    await cluster.close();
  });

  const agentFlags = ['--node-name=node-a', '--healthz-bind-address=127.0.0.1:0', '--peer-port=1'];

  it('a backend option the backend refuses, with the API server reachable: exit 1, not a healthy idle agent', async () => {
    const kubeconfig = await kubeconfigFor(cluster, dir);
    const started = Date.now();
    const { code, output } = await runCli([
      'run',
      '--backend=iptables',
      ...agentFlags,
      `--kubeconfig=${kubeconfig}`,
      '--metrics-bind-address=',
      '--iptables-mark=0x3',
      '--iptables-mask=0x1',
    ]);
    expect(code, output).to.equal(1);
    expect(output).to.include('--iptables-mark 0x3 must be non-zero and inside --iptables-mask 0x1');
    expect(Date.now() - started, 'it exits at once').to.be.lessThan(10_000);
  });

  it('a kubeconfig that is not one: exit 1 naming the file, not a TypeError', async () => {
    for (const [file, reason] of [
      ['/dev/null', 'not a kubeconfig (the file is empty)'],
      [join(dir, 'missing'), 'ENOENT'],
    ] as const) {
      const { code, output } = await runCli([
        'run',
        '--backend=iptables',
        ...agentFlags,
        `--kubeconfig=${file}`,
      ]);
      expect(code, output).to.equal(1);
      expect(output).to.include(`--kubeconfig ${file}: `).and.include(reason);
      expect(output).to.not.include('Cannot read properties');
    }
  });

  it('a failed preflight check: exit 1 with the check, what it found and the remedy, before any heartbeat', async () => {
    const kubeconfig = await kubeconfigFor(cluster, dir);
    // --dry-run too: the probes still run for real (a skipped probe would pass without proof).
    for (const dryRun of [[], ['--dry-run']]) {
      const started = Date.now();
      const { code, output } = await runCli([
        'run',
        `--backend=${PREFLIGHT_FIXTURE}`,
        ...agentFlags,
        ...dryRun,
        `--kubeconfig=${kubeconfig}`,
        '--metrics-bind-address=',
        `--preflight-fixture-tool=${MISSING_TOOL}`,
      ]);
      expect(code, output).to.equal(1);
      expect(output).to.include(
        `the agent could not start: preflight of backend preflight-fixture failed (1 of 1 checks): command ${MISSING_TOOL}: ${MISSING_TOOL} --version: command not found: ${MISSING_TOOL} (is the package installed?) → install ${MISSING_TOOL}`,
      );
      expect(Date.now() - started, 'it exits at once').to.be.lessThan(10_000);
    }
    const lease = cluster.api.store.get(
      'coordination.k8s.io/v1',
      'Lease',
      heartbeatLeaseName('node-a'),
      'egress-proxier',
    );
    expect(lease, 'no heartbeat: the node never became a gateway candidate').to.equal(undefined);
  });

  it('startAgentFromArgs reports a failed start through `started`', async () => {
    const running = await startAgentFromArgs({
      ...baseArgs(),
      kubeconfig: await kubeconfigFor(cluster, dir),
      backend: 'iptables',
      'iptables-mark': '0x3',
      'iptables-mask': '0x1',
    });
    try {
      await running.started.then(
        () => expect.fail('the start should fail'),
        (error: Error) => expect(error.message).to.include('--iptables-mark 0x3'),
      );
    } finally {
      await running.stop();
    }
  });
});

function baseArgs(): RunArgs & Record<string, unknown> {
  return {
    backend: 'recording',
    'node-name': 'node-a',
    namespace: 'egress-proxier',
    'cluster-cidr': ['10.244.0.0/16'],
    'service-cidr': ['10.96.0.0/12'],
    'sync-period': '30s',
    'min-sync-period': '100ms',
    'heartbeat-interval': '1s',
    'lease-duration': '3s',
    'handover-margin': '500ms',
    'handover-drain': '500ms',
    'restart-hold': '20s',
    'self-fencing': true,
    'peer-fencing': true,
    'peer-port': 10266,
    'leader-elect-lease-duration': '3s',
    'leader-elect-renew-deadline': '2s',
    'leader-elect-retry-period': '500ms',
    'healthz-bind-address': '127.0.0.1:0',
    'metrics-bind-address': '127.0.0.1:0',
    'traffic-interval': '15s',
    'snat-port-pressure': 0.8,
    'dry-run': false,
    'log-level': 'silent',
  };
}
