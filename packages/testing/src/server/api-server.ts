import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { isIPv6 } from 'node:net';
import {
  apiGroupList,
  apiGroupOrUndefined,
  apiResourceList,
  apiVersions,
  serverVersion,
} from '../discovery/discovery.js';
import { openApiGroupVersion, openApiRoot } from '../discovery/openapi-v3.js';
import { FaultInjector } from '../faults/fault-injector.js';
import { faultPathPrefix, handleFaultRequest } from '../faults/fault-routes.js';
import { builtinKinds, initialNamespaces } from '../kinds/builtin-kinds.js';
import { KindRegistry } from '../kinds/kind-registry.js';
import { ObjectStore } from '../store/object-store.js';
import { ResourceService } from '../store/resource-service.js';
import { generateServingCertificate, type ServingCertificate } from '../tls/self-signed.js';
import { sendError, sendJson, sendText } from './http-io.js';
import { handleResource, verbOf, type WatchSettings } from './resource-handler.js';
import { parseApiPath } from './route.js';
import type { WatchStream } from './watch-stream.js';

export interface ApiServerOptions {
  /** Listen address; default 127.0.0.1. */
  host?: string;
  /** Default 0: an ephemeral port. */
  port?: number;
  /** Serve TLS with a freshly generated self-signed certificate. */
  https?: boolean;
  /** Events kept for watch resumption; a watch from before them gets 410. Default 1000. */
  historySize?: number;
  /** Watch length when the client gives no timeoutSeconds. Default 1800 (the real server: 1800–3600). */
  watchTimeoutSeconds?: number;
  /** How often watches with allowWatchBookmarks get a BOOKMARK. Default 5000 ms. */
  bookmarkIntervalMs?: number;
  /** Extra DNS names/IPs for the certificate (e.g. a bridge IP when listening on 0.0.0.0). */
  certificateNames?: string[];
}

/** The HTTP(S) server: routing, discovery, faults; API semantics live in ResourceService. */
export class ApiServer {
  readonly registry = new KindRegistry(builtinKinds());
  readonly store: ObjectStore;
  readonly service: ResourceService;
  readonly faults: FaultInjector;
  private readonly watches = new Set<WatchStream>();
  private server: Server | undefined;
  private certificate: ServingCertificate | undefined;
  private address: AddressInfo | undefined;

  constructor(private readonly options: ApiServerOptions = {}) {
    this.store = new ObjectStore(options.historySize ?? 1000);
    this.service = new ResourceService(this.registry, this.store);
    const namespaceKind = this.registry.byResource('', 'v1', 'namespaces');
    for (const name of initialNamespaces)
      if (namespaceKind)
        this.service.create(namespaceKind, undefined, {
          apiVersion: 'v1',
          kind: 'Namespace',
          metadata: { name },
        });
    this.faults = new FaultInjector({
      dropWatches: () => this.dropWatches(),
      closeListener: () => this.closeListener(),
      reopenListener: () => this.listen(),
    });
  }

  get caPem(): string | undefined {
    return this.certificate?.cert;
  }

  /** The URL clients use; a wildcard listen address is reached over loopback. */
  get url(): string {
    if (!this.address) throw new Error('server is not listening');
    const scheme = this.options.https ? 'https' : 'http';
    let host = this.address.address;
    if (host === '0.0.0.0') host = '127.0.0.1';
    if (host === '::') host = '::1';
    return `${scheme}://${isIPv6(host) ? `[${host}]` : host}:${this.address.port}`;
  }

  async start(): Promise<void> {
    const handler = (req: IncomingMessage, res: ServerResponse) => void this.handle(req, res);
    if (this.options.https) {
      this.certificate = await generateServingCertificate(
        this.options.host ?? '127.0.0.1',
        this.options.certificateNames ?? [],
      );
      this.server = createHttpsServer({ cert: this.certificate.cert, key: this.certificate.key }, handler);
    } else this.server = createHttpServer(handler);
    this.server.keepAliveTimeout = 60_000;
    await this.listen();
  }

  async close(): Promise<void> {
    await this.faults.reset();
    await this.closeListener();
  }

  dropWatches(): number {
    const open = [...this.watches];
    for (const w of open) w.destroy();
    return open.length;
  }

  private async listen(): Promise<void> {
    const server = this.server;
    if (!server) throw new Error('server not started');
    // Re-listen on the same port after a 'refuse' pause, so clients reconnect to the same URL.
    const port = this.address?.port ?? this.options.port ?? 0;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, this.options.host ?? '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.address = server.address() as AddressInfo;
  }

  private async closeListener(): Promise<void> {
    const server = this.server;
    if (!server?.listening) return;
    this.dropWatches();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  }

  private watchSettings(): WatchSettings {
    return {
      defaultTimeoutSeconds: this.options.watchTimeoutSeconds ?? 1800,
      bookmarkIntervalMs: this.options.bookmarkIntervalMs ?? 5000,
      register: (s) => this.watches.add(s),
      unregister: (s) => this.watches.delete(s),
      takeExpired: () => this.faults.takeExpiredWatch(),
    };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', 'http://server');
      if (url.pathname.startsWith(faultPathPrefix)) return await handleFaultRequest(req, res, this.faults);
      await this.faults.beforeRequest();
      const route = parseApiPath(url.pathname);
      const method = req.method ?? 'GET';
      const injected = this.faults.takeFailure({
        path: url.pathname,
        method,
        verb: verbOf(method, route?.type === 'resource' ? route : undefined, url.searchParams),
      });
      if (injected) throw injected;
      await this.route(req, res, url, route);
    } catch (error) {
      sendError(res, error);
    }
  }

  private async route(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    route: ReturnType<typeof parseApiPath>,
  ): Promise<void> {
    const path = url.pathname.replace(/\/+$/, '') || '/';
    if (path === '/version') return sendJson(res, 200, serverVersion);
    if (path === '/healthz' || path === '/readyz' || path === '/livez') return sendText(res, 200, 'ok');
    if (path === '/openapi/v3') return sendJson(res, 200, openApiRoot(this.registry, this.store));
    if (path.startsWith('/openapi/v3/')) {
      const [kindOfPath, a, b] = path.slice('/openapi/v3/'.length).split('/');
      const doc =
        kindOfPath === 'api'
          ? openApiGroupVersion(this.registry, this.store, '', a ?? '')
          : openApiGroupVersion(this.registry, this.store, a ?? '', b ?? '');
      return doc ? sendJson(res, 200, doc) : sendText(res, 404, '404 page not found');
    }
    switch (route?.type) {
      case 'apiVersions':
        return sendJson(res, 200, apiVersions(req.headers.host ?? url.host));
      case 'apiGroupList':
        return sendJson(res, 200, apiGroupList(this.registry));
      case 'apiGroup': {
        const group = apiGroupOrUndefined(this.registry, route.group);
        return group ? sendJson(res, 200, group) : sendText(res, 404, '404 page not found');
      }
      case 'resourceList': {
        const list = apiResourceList(this.registry, route.group, route.version);
        return list ? sendJson(res, 200, list) : sendText(res, 404, '404 page not found');
      }
      case 'resource':
        return handleResource(req, res, route, url.searchParams, this.service, this.watchSettings());
      default:
        if (path === '/')
          return sendJson(res, 200, {
            paths: ['/api', '/api/v1', '/apis', '/healthz', '/livez', '/openapi/v3', '/readyz', '/version'],
          });
        return sendText(res, 404, '404 page not found');
    }
  }
}
