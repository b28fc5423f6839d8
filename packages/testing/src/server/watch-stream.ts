import type { ServerResponse } from 'node:http';
import type { JsonObject, StoredObject } from '../api/kube-object.js';
import { expired, type StatusError } from '../api/status-error.js';
import { apiVersionOf, storageKey, type ResourceKind } from '../kinds/resource-kind.js';
import type { StoreEvent } from '../store/store-event.js';
import { selectorsMatch, type ResourceService, type Selectors } from '../store/resource-service.js';
import { toTable, type IncludeObject } from '../table/table-convertor.js';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchRequest {
  kind: ResourceKind;
  namespace: string | undefined;
  selectors: Selectors;
  /** undefined: start now, with synthetic ADDED events for what exists. */
  fromVersion: number | undefined;
  timeoutSeconds: number;
  bookmarks: boolean;
  bookmarkIntervalMs: number;
  table: { include: IncludeObject } | undefined;
  /** Injected 410, as if the history had moved past any requested version. */
  forceExpired: boolean;
}

/** What one watch sends for a store event, after namespace and selector filtering. */
function translate(
  request: WatchRequest,
  event: StoreEvent,
): { type: WatchEventType; object: StoredObject } | undefined {
  if (event.storageKey !== storageKey(request.kind)) return undefined;
  if (request.kind.namespaced && request.namespace && event.object.metadata.namespace !== request.namespace)
    return undefined;
  const now = event.type !== 'DELETED' && selectorsMatch(request.selectors, event.object);
  const before = event.previous !== undefined && selectorsMatch(request.selectors, event.previous);
  if (event.type === 'ADDED') return now ? { type: 'ADDED', object: event.object } : undefined;
  if (event.type === 'DELETED') return before ? { type: 'DELETED', object: event.object } : undefined;
  // A change across the selector boundary looks like an add or a delete to this watch, as in the watch cache.
  if (now && before) return { type: 'MODIFIED', object: event.object };
  if (now) return { type: 'ADDED', object: event.object };
  if (before) return { type: 'DELETED', object: event.object };
  return undefined;
}

/** One open watch connection streaming newline-delimited `{type, object}` events. */
export class WatchStream {
  private unsubscribe: (() => void) | undefined;
  private timers: NodeJS.Timeout[] = [];
  private closed = false;
  private columnsSent = false;

  constructor(
    private readonly request: WatchRequest,
    private readonly service: ResourceService,
    private readonly res: ServerResponse,
    private readonly onClose: (stream: WatchStream) => void,
  ) {}

  start(): void {
    this.res.writeHead(200, {
      'Content-Type': 'application/json',
      'Cache-Control': 'no-cache, private',
      'Transfer-Encoding': 'chunked',
    });
    this.res.flushHeaders();
    this.res.on('close', () => this.close());
    const { request, service } = this;
    if (request.forceExpired)
      return this.fail(expired(request.fromVersion ?? 0, service.store.history.oldestAvailable() + 1));
    if (request.fromVersion === undefined) {
      for (const o of service.list(request.kind, request.namespace, request.selectors).items)
        this.send('ADDED', o);
    } else {
      const replay = service.store.history.since(request.fromVersion);
      if (!replay)
        return this.fail(expired(request.fromVersion, service.store.history.oldestAvailable() + 1));
      for (const e of replay) this.forward(e);
    }
    this.unsubscribe = service.store.subscribe((e) => this.forward(e));
    this.timers.push(setTimeout(() => this.close(), request.timeoutSeconds * 1000));
    if (request.bookmarks && !request.table)
      this.timers.push(setInterval(() => this.bookmark(), request.bookmarkIntervalMs));
  }

  /** Ends the stream; the client sees the connection close, as after a server-side timeout. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe?.();
    for (const t of this.timers) clearTimeout(t);
    this.res.end();
    this.onClose(this);
  }

  /** Cuts the TCP connection without a clean end, as a dropped connection looks to the client. */
  destroy(): void {
    if (this.closed) return;
    this.res.destroy();
    this.close();
  }

  private forward(event: StoreEvent): void {
    const out = translate(this.request, event);
    if (out) this.send(out.type, out.object);
  }

  private fail(error: StatusError): void {
    this.write('ERROR', error.toStatus());
    this.close();
  }

  private bookmark(): void {
    const kind = this.request.kind;
    this.write('BOOKMARK', {
      kind: kind.kind,
      apiVersion: apiVersionOf(kind),
      metadata: { resourceVersion: String(this.service.store.currentResourceVersion()) },
    });
  }

  private send(type: WatchEventType, object: StoredObject): void {
    const presented = this.service.present(this.request.kind, object);
    if (!this.request.table) return this.write(type, presented as unknown as JsonObject);
    const table = toTable(
      this.request.kind,
      [presented],
      presented.metadata.resourceVersion,
      this.request.table.include,
      new Date(),
      !this.columnsSent,
    );
    this.columnsSent = true;
    this.write(type, table);
  }

  private write(type: WatchEventType, object: JsonObject): void {
    if (this.closed) return;
    this.res.write(`${JSON.stringify({ type, object })}\n`);
  }
}
