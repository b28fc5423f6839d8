// The agent runs the backend's preflight before anything else: a failed check stops the start with that
// reason, before the proxier exists and before a heartbeat makes the node a gateway candidate.
import { expect } from 'chai';
import {
  ALL_CAPABILITIES,
  PreflightFailedError,
  commandCheck,
  heartbeatLeaseName,
  type NodeProxierPlugin,
  type PreflightReport,
  type ProxierContext,
} from '@egress-proxier/core';
import { RecordingExec } from '@egress-proxier/core/testing';
import { AgentCluster, NAMESPACE, eventually, sleep } from './support/agent-cluster.js';

/** A node plugin that records the order of preflight, create and sync, and answers preflight with `report`. */
function pluginWithPreflight(preflight: (context: ProxierContext) => Promise<PreflightReport>): {
  plugin: NodeProxierPlugin;
  events: string[];
} {
  const events: string[] = [];
  const plugin: NodeProxierPlugin = {
    name: 'preflighted',
    description: 'records its lifecycle (tests)',
    scope: 'node',
    capabilities: ALL_CAPABILITIES,
    preflight: async (context) => {
      events.push('preflight');
      return preflight(context);
    },
    create: () => {
      events.push('create');
      return {
        sync: async () => (events.push('sync'), { changed: true }),
        cleanup: async () => undefined,
      };
    },
    render: () => ({ sections: [] }),
  };
  return { plugin, events };
}

describe('agent preflight', function () {
  this.timeout(30_000);
  let cluster: AgentCluster;

  beforeEach(async () => {
    cluster = await AgentCluster.start();
  });
  afterEach(async () => {
    await cluster?.close();
  });

  const heartbeatLease = (node: string) =>
    cluster.api.store.get('coordination.k8s.io/v1', 'Lease', heartbeatLeaseName(node), NAMESPACE);

  it('a failed check stops the start with its reason: no proxier, no heartbeat', async () => {
    const { plugin, events } = pluginWithPreflight(async () => ({
      checks: [
        { name: 'ipset', ok: false, detail: 'command not found: ipset', remedy: 'install the ipset package' },
        { name: 'ip', ok: true, detail: 'iproute2-6.1.0' },
      ],
    }));
    const error = await cluster.startAgent('node-a', {}, plugin).then(
      () => expect.fail('the start should fail'),
      (rejected: unknown) => rejected,
    );
    expect(error).to.be.instanceOf(PreflightFailedError);
    expect((error as Error).message).to.equal(
      'preflight of backend preflighted failed (1 of 2 checks): ipset: command not found: ipset → install the ipset package',
    );
    await sleep(1_500); // more than a heartbeat interval
    expect(events).to.deep.equal(['preflight']);
    expect(heartbeatLease('node-a'), 'a node that cannot program must not be a gateway candidate').to.equal(
      undefined,
    );
    expect(cluster.agent('node-a').agent.livez()).to.deep.include({ healthy: false });
  });

  it('a passing preflight starts: preflight, then create, then syncs and heartbeats', async () => {
    const { plugin, events } = pluginWithPreflight(async () => ({
      checks: [{ name: 'rp_filter', ok: false, severity: 'warning', detail: 'strict on eth0' }],
    }));
    await cluster.startAgent('node-a', {}, plugin);
    await eventually(() => expect(events).to.include('sync'));
    expect(events.slice(0, 2)).to.deep.equal(['preflight', 'create']);
    await eventually(() => expect(heartbeatLease('node-a')).to.not.equal(undefined));
  });

  it('probes through probeExec when given, and the proxier keeps exec', async () => {
    const probes = new RecordingExec().respond('ipset --version', { stdout: 'ipset v7.19\n' });
    const datapath = new RecordingExec();
    const seen: { preflight?: ProxierContext } = {};
    const { plugin } = pluginWithPreflight(async (context) => {
      seen.preflight = context;
      return {
        checks: [
          await commandCheck(context.exec, {
            name: 'ipset',
            command: 'ipset',
            args: ['--version'],
            remedy: 'install ipset',
          }),
        ],
      };
    });
    await cluster.startAgent('node-a', {}, plugin, { exec: datapath, probeExec: probes });
    expect(probes.commandLines()).to.deep.equal(['ipset --version']);
    expect(datapath.commandLines()).to.deep.equal([]);
    expect(seen.preflight?.exec).to.equal(probes);
    // A preflight adds nothing to the host: it is offered no address lifetime.
    expect(seen.preflight).to.not.have.property('addressLifetime');
  });

  it('a backend without preflight starts as before', async () => {
    const running = await cluster.startAgent('node-a');
    expect(running.backend.plugin.preflight).to.equal(undefined);
    await eventually(() => expect(running.backend.syncs).to.not.have.length(0));
  });
});
