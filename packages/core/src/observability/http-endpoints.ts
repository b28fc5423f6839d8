// The agent's HTTP endpoints, kube-proxy style: `/healthz` and `/livez` on the healthz address, `/metrics`
// on the metrics address (the same server when both addresses are equal). The healthz server also answers
// other agents' `/peer/api-status` (peer-confirmed fencing, docs/failover.md).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

/** What an agent answers on `/peer/api-status` (peer-confirmed fencing, docs/failover.md). */
export interface PeerApiStatus {
  node: string;
  apiReachable: boolean;
}

export interface HealthReport {
  healthy: boolean;
  /** Body fields, e.g. lastUpdated / currentTime as kube-proxy reports them. */
  details: Record<string, unknown>;
}

export interface EndpointSources {
  healthz(): HealthReport;
  livez(): HealthReport;
  metrics?: Registry;
  peerApiStatus?(): Promise<PeerApiStatus>;
}

export interface ListeningServer {
  address: string;
  port: number;
  close(): Promise<void>;
}

/** `host:port`, IPv6 as `[::]:port`; port 0 picks a free one. */
export function parseBindAddress(text: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(text);
  if (!match) throw new Error(`bind address ${JSON.stringify(text)}: expected HOST:PORT`);
  // A leading zero reads as octal to some tools and as decimal to others: refuse the guess.
  if (!/^(0|[1-9]\d*)$/.test(match[3] ?? ''))
    throw new Error(`bind address ${JSON.stringify(text)}: port "${match[3]}" has a leading zero`);
  const port = Number(match[3]);
  if (port > 65535) throw new Error(`bind address ${JSON.stringify(text)}: port ${port} is above 65535`);
  return { host: match[1] ?? match[2] ?? '', port };
}

export async function serveEndpoints(
  bindAddress: string,
  sources: Partial<EndpointSources>,
): Promise<ListeningServer> {
  const { host, port } = parseBindAddress(bindAddress);
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const health = path === '/healthz' ? sources.healthz : path === '/livez' ? sources.livez : undefined;
    if (health) {
      const report = health();
      res.writeHead(report.healthy ? 200 : 503, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(report.details));
      return;
    }
    if (path === '/peer/api-status' && sources.peerApiStatus) {
      sources.peerApiStatus().then(
        (status) => {
          res.writeHead(200, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify(status));
        },
        (error: Error) => {
          res.writeHead(500);
          res.end(error.message);
        },
      );
      return;
    }
    if (path === '/metrics' && sources.metrics) {
      const registry = sources.metrics;
      registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'Content-Type': registry.contentType });
          res.end(text);
        },
        (error: Error) => {
          res.writeHead(500);
          res.end(error.message);
        },
      );
      return;
    }
    res.writeHead(404, { 'Content-Type': 'text/plain' });
    res.end('not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host === '' ? undefined : host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    address: address.address,
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
