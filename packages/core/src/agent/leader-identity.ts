// The agent's identity in the leader lease. Node agents use their node name (one agent per node);
// cluster-scope agents may run without one, so they use the host name and a random suffix, as client-go's
// leader election does: two such agents must never share an identity, or both would think they lead.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { AgentOptions } from './agent-options.js';

export function leaderIdentity(options: Pick<AgentOptions, 'nodeName' | 'leaderElection'>): string {
  return options.leaderElection.identity ?? (options.nodeName || `${hostname()}_${randomUUID()}`);
}
