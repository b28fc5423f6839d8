// One in-process agent per node, talking HTTPS to the API server with the recording backend, as the
// DaemonSet would run them (the in-memory server runs no pods, so the test starts them itself).
import { KubeConfig } from '@kubernetes/client-node';
import { Agent, AgentMetrics, silentLogger, systemClock, type Exec } from '@egress-proxier/core';
import type { RunningApiServer } from '@egress-proxier/testing';
import { testAgentOptions } from '../../agent/support/agent-cluster.js';
import { RecordingBackend } from '../../agent/support/recording-backend.js';

export const CLUSTER_CIDR = '10.244.0.0/16';
export const SERVICE_CIDR = '10.96.0.0/12';

const noExec: Exec = {
  run: () => Promise.reject(new Error('the recording backend runs no commands')),
};

export class InProcessAgents {
  private readonly agents: Agent[] = [];

  constructor(private readonly api: RunningApiServer) {}

  async start(nodeName: string): Promise<RecordingBackend> {
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromOptions(this.api.kubeConfigForClientNode());
    const backend = new RecordingBackend();
    const agent = new Agent(testAgentOptions(nodeName, { clusterCIDRs: [CLUSTER_CIDR, SERVICE_CIDR] }), {
      kubeConfig,
      plugin: backend.plugin,
      exec: noExec,
      logger: silentLogger(),
      clock: systemClock,
      metrics: new AgentMetrics(),
    });
    // Registered before start, so a start that fails half-way is still stopped.
    this.agents.push(agent);
    await agent.start();
    return backend;
  }

  async stopAll(): Promise<void> {
    const stopping = this.agents.splice(0);
    await Promise.allSettled(stopping.map((agent) => agent.stop()));
  }
}
