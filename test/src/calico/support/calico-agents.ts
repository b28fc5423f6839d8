// In-process agents with the real `calico` backend (loaded by name, as `--backend calico` does) against the
// in-memory API server over HTTPS with Calico's real CRDs. Each agent's kubeconfig records the requests the
// backend and its webhook make, so a test can tell which agent wrote what.
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import selfsigned from 'selfsigned';
import { parse } from 'yaml';
import {
  Agent,
  AgentMetrics,
  loadProxierPlugin,
  silentLogger,
  systemClock,
  type Exec,
} from '@egress-proxier/core';
import { startApiServer, type KubeObject, type RunningApiServer } from '@egress-proxier/testing';
import { nodeObject, testAgentOptions } from '../../agent/support/agent-cluster.js';

const REPO_ROOT = new URL('../../../../', import.meta.url);
export const CALICO_RELEASE = 'v3.32.1';
export const NAMESPACE = 'egress-proxier';
const CALICO_WRITE_PATH =
  /\/apis\/(projectcalico\.org\/v3|crd\.projectcalico\.org\/v1)\/(ippools|globalnetworkpolicies|tiers)/;

type RequestContext = Parameters<KubeConfig['applySecurityAuthentication']>[0];

export interface RecordedRequest {
  method: string;
  url: string;
}

/** Records every request made through client-node API clients built from it (the backend's and webhook's). */
class RecordingKubeConfig extends KubeConfig {
  readonly requests: RecordedRequest[] = [];

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    this.requests.push({ method: context.getHttpMethod().toString(), url: context.getUrl() });
    await super.applySecurityAuthentication(context);
  }
}

export interface CalicoAgent {
  node: string;
  agent: Agent;
  webhookPort: number;
  requests: RecordedRequest[];
}

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Writes an agent made to IP pools, FailClosed tiers and policies, or namespaces (the backend's; status goes through the core). */
export function backendWrites(agent: CalicoAgent): RecordedRequest[] {
  return agent.requests.filter(
    (r) =>
      WRITE_METHODS.has(r.method) && (CALICO_WRITE_PATH.test(r.url) || /\/api\/v1\/namespaces/.test(r.url)),
  );
}

export function calicoCrds(): KubeObject[] {
  const directory = new URL(`../shared/testdata/calico-crds/${CALICO_RELEASE}/`, REPO_ROOT);
  if (!existsSync(directory)) {
    throw new Error(
      `Calico CRD test data not found at ${directory.pathname}: shared/ must be checked out beside the repo`,
    );
  }
  const release = readdirSync(directory)
    .filter((file) => file.endsWith('.yaml'))
    .sort()
    .map((file) => parse(readFileSync(new URL(file, directory), 'utf8')) as KubeObject);
  // The FailClosed guard's kinds: Calico's GlobalNetworkPolicy CRD and the backend tests' Tier stand-in.
  const policy = new URL(
    '../shared/testdata/calico-crds/master-policy/projectcalico.org_globalnetworkpolicies.yaml',
    REPO_ROOT,
  );
  const tier = new URL('packages/backend-calico/test/fixtures/tier-crd.yaml', REPO_ROOT);
  return [...release, ...[policy, tier].map((file) => parse(readFileSync(file, 'utf8')) as KubeObject)];
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no TCP port');
  return address.port;
}

export class CalicoAgentCluster {
  readonly agents = new Map<string, CalicoAgent>();

  private constructor(
    readonly api: RunningApiServer,
    /** The webhook's serving certificate (tls.crt, tls.key) and the CA a client trusts (itself). */
    readonly tlsDir: string,
    readonly webhookCa: string,
  ) {}

  static async start(): Promise<CalicoAgentCluster> {
    const api = await startApiServer({ https: true, historySize: 20_000, bookmarkIntervalMs: 500 });
    api.store.put(
      parse(
        readFileSync(new URL('deploy/crd/egress.proxier.io_egresses.yaml', REPO_ROOT), 'utf8'),
      ) as KubeObject,
    );
    for (const crd of calicoCrds()) api.store.put(crd);
    api.store.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } });
    for (const [name, ip] of [
      ['node-a', '198.51.100.11'],
      ['node-b', '198.51.100.12'],
    ] as const) {
      api.store.put(nodeObject(name, ip, name === 'node-a' ? '10.244.1.0/24' : '10.244.2.0/24'));
    }
    const pems = await selfsigned.generate([{ name: 'commonName', value: 'localhost' }], {
      keyType: 'ec',
      curve: 'P-256',
      algorithm: 'sha256',
      extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
    });
    const tlsDir = await mkdtemp(join(tmpdir(), 'calico-agent-webhook-tls-'));
    await writeFile(join(tlsDir, 'tls.crt'), pems.cert);
    await writeFile(join(tlsDir, 'tls.key'), pems.private, { mode: 0o600 });
    return new CalicoAgentCluster(api, tlsDir, pems.cert);
  }

  /** An agent as `egress-proxier run --backend calico --calico-webhook-bind-address 127.0.0.1:<port>` builds it. */
  async startAgent(node: string): Promise<CalicoAgent> {
    const plugin = await loadProxierPlugin('calico');
    const kubeConfig = new RecordingKubeConfig();
    kubeConfig.loadFromOptions(this.api.kubeConfigForClientNode());
    const webhookPort = await freePort();
    const noExec: Exec = { run: () => Promise.reject(new Error('the calico backend runs no commands')) };
    const agent = new Agent(
      testAgentOptions(node, {
        pluginOptions: { webhookBindAddress: `127.0.0.1:${webhookPort}`, webhookTlsDir: this.tlsDir },
      }),
      {
        kubeConfig,
        plugin,
        exec: noExec,
        logger: silentLogger(),
        clock: systemClock,
        metrics: new AgentMetrics(),
      },
    );
    await agent.start();
    const running = { node, agent, webhookPort, requests: kubeConfig.requests };
    this.agents.set(node, running);
    return running;
  }

  agent(node: string): CalicoAgent {
    const found = this.agents.get(node);
    if (found === undefined) throw new Error(`no agent on ${node}`);
    return found;
  }

  async stopAgent(node: string): Promise<void> {
    const running = this.agent(node);
    this.agents.delete(node);
    await running.agent.stop();
  }

  async close(): Promise<void> {
    for (const node of [...this.agents.keys()]) await this.stopAgent(node);
    await this.api.close();
    await rm(this.tlsDir, { recursive: true, force: true });
  }

  pools(): KubeObject[] {
    return this.api.store.list('projectcalico.org/v3', 'IPPool');
  }

  /** The GlobalNetworkPolicies in the cluster (the FailClosed guards). */
  guards(): KubeObject[] {
    return this.api.store.list('projectcalico.org/v3', 'GlobalNetworkPolicy');
  }
}
