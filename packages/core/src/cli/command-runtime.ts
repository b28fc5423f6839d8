// What the commands that touch a node or a cluster (run, cleanup, preflight) need only once they run:
// the logger (pino), the composition root (inversify, execa), the kube client and the agent, which take
// most of a second to load. Their handlers import this module, so that `version`, `--help` and `render`
// start without them. A new command with heavy dependencies adds them here (or imports its own module
// from its handler) rather than at the top of its command file.
export { createLogger } from '../logging/logger.js';
export { createContainer } from '../composition/container.js';
export { TOKENS, resolveService } from '../composition/tokens.js';
export { Agent } from '../agent/agent.js';
export { AgentMetrics } from '../observability/agent-metrics.js';
export { serveEndpoints } from '../observability/http-endpoints.js';
export { loadKubeConfig } from './kubeconfig.js';
