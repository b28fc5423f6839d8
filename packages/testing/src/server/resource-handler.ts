import type { IncomingMessage, ServerResponse } from 'node:http';
import { isJsonObject, type JsonObject, type KubeObject } from '../api/kube-object.js';
import { badRequest, methodNotAllowed, notFound, StatusError } from '../api/status-error.js';
import type { ResourceKind } from '../kinds/resource-kind.js';
import { patchTypeOf } from '../patch/apply-patch.js';
import { decodeObject } from '../store/object-validation.js';
import type { ResourceService, WriteOptions } from '../store/resource-service.js';
import { toTable } from '../table/table-convertor.js';
import { readBody, readRawBody, sendJson } from './http-io.js';
import { decodeProtobufObject } from './protobuf-body.js';
import {
  fieldValidationFrom,
  includeObjectFrom,
  isWatch,
  selectorsFrom,
  startingVersion,
  timeoutSecondsFrom,
  wantsTable,
} from './request-options.js';
import type { ResourceRoute } from './route.js';
import { WatchStream } from './watch-stream.js';

export interface WatchSettings {
  defaultTimeoutSeconds: number;
  bookmarkIntervalMs: number;
  register(stream: WatchStream): void;
  unregister(stream: WatchStream): void;
  takeExpired(): boolean;
}

interface Context {
  req: IncomingMessage;
  res: ServerResponse;
  params: URLSearchParams;
  route: ResourceRoute;
  kind: ResourceKind;
  service: ResourceService;
  watches: WatchSettings;
}

/** The kube verb of a request, for fault matching and errors. */
export function verbOf(method: string, route: ResourceRoute | undefined, params: URLSearchParams): string {
  switch (method) {
    case 'GET':
      if (route && (route.legacyWatch || isWatch(params))) return 'watch';
      return route?.name ? 'get' : 'list';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return route?.name ? 'delete' : 'deletecollection';
    default:
      return method.toLowerCase();
  }
}

const protobuf = 'application/vnd.kubernetes.protobuf';

async function readRequestObject(req: IncomingMessage): Promise<KubeObject> {
  const contentType = req.headers['content-type'] ?? 'application/json';
  const raw = await readRawBody(req);
  if (contentType.split(';')[0]?.trim() === protobuf) return decodeProtobufObject(raw);
  return decodeObject(raw.toString('utf8'), contentType);
}

/** Write options from the query, with a sink for the request's warnings. */
function writeOptions(ctx: Context, base: WriteOptions = {}): WriteOptions {
  return { ...base, fieldValidation: fieldValidationFrom(ctx.params), warnings: [] };
}

function respondObject(
  ctx: Context,
  code: number,
  object: JsonObject & { metadata?: unknown },
  warnings: readonly string[] = [],
): void {
  // The real server's warning format: code 299, agent "-", the text quoted (kubectl prints "Warning: …").
  if (warnings.length > 0)
    ctx.res.setHeader(
      'Warning',
      warnings.map((w) => `299 - ${JSON.stringify(w)}`),
    );
  if (wantsTable(ctx.req.headers.accept) && isJsonObject(object['metadata'])) {
    const rv = String(object['metadata']['resourceVersion'] ?? '');
    return sendJson(
      ctx.res,
      code,
      toTable(ctx.kind, [object as never], rv, includeObjectFrom(ctx.params), new Date()),
    );
  }
  sendJson(ctx.res, code, object);
}

function namespaceOf(ctx: Context): string | undefined {
  return ctx.kind.namespaced ? ctx.route.namespace : undefined;
}

function handleCollection(ctx: Context): Promise<void> | void {
  const { req, params, kind, service } = ctx;
  const namespace = namespaceOf(ctx);
  if (req.method === 'GET') {
    const selectors = selectorsFrom(params, kind);
    if (ctx.route.legacyWatch || isWatch(params)) return startWatch(ctx, selectors);
    const list = service.list(kind, namespace, selectors);
    if (wantsTable(req.headers.accept))
      return sendJson(
        ctx.res,
        200,
        toTable(kind, list.items, list.resourceVersion, includeObjectFrom(params), new Date()),
      );
    return sendJson(ctx.res, 200, {
      kind: kind.listKind,
      apiVersion: kind.group ? `${kind.group}/${kind.version}` : kind.version,
      metadata: { resourceVersion: list.resourceVersion },
      items: list.items,
    });
  }
  if (req.method === 'POST') {
    return readRequestObject(req).then((object) => {
      const options = writeOptions(ctx);
      const created = service.create(kind, namespace, object, options);
      respondObject(ctx, 201, created as unknown as JsonObject, options.warnings);
    });
  }
  if (req.method === 'DELETE') {
    const deleted = service.deleteCollection(kind, namespace, selectorsFrom(params, kind));
    return sendJson(ctx.res, 200, {
      kind: kind.listKind,
      apiVersion: kind.group ? `${kind.group}/${kind.version}` : kind.version,
      metadata: { resourceVersion: String(service.store.currentResourceVersion()) },
      items: deleted,
    });
  }
  throw methodNotAllowed(`the server does not allow this method on the requested resource`);
}

function startWatch(ctx: Context, selectors: ReturnType<typeof selectorsFrom>): void {
  const { params, watches } = ctx;
  const allow = params.get('allowWatchBookmarks');
  const stream = new WatchStream(
    {
      kind: ctx.kind,
      namespace: namespaceOf(ctx),
      selectors,
      fromVersion: startingVersion(params),
      timeoutSeconds: timeoutSecondsFrom(params, watches.defaultTimeoutSeconds),
      bookmarks: allow === 'true' || allow === '1',
      bookmarkIntervalMs: watches.bookmarkIntervalMs,
      table: wantsTable(ctx.req.headers.accept) ? { include: includeObjectFrom(params) } : undefined,
      forceExpired: watches.takeExpired(),
    },
    ctx.service,
    ctx.res,
    (s) => watches.unregister(s),
  );
  watches.register(stream);
  stream.start();
}

async function deleteOptions(
  req: IncomingMessage,
): Promise<{ uid?: string; resourceVersion?: string } | undefined> {
  const body = await readBody(req);
  if (body.trim() === '') return undefined;
  const parsed: unknown = JSON.parse(body);
  const pre = isJsonObject(parsed) ? parsed['preconditions'] : undefined;
  if (!isJsonObject(pre)) return undefined;
  return {
    ...(typeof pre['uid'] === 'string' ? { uid: pre['uid'] } : {}),
    ...(typeof pre['resourceVersion'] === 'string' ? { resourceVersion: pre['resourceVersion'] } : {}),
  };
}

async function handleItem(ctx: Context, name: string): Promise<void> {
  const { req, kind, service, route } = ctx;
  const namespace = namespaceOf(ctx);
  let options: WriteOptions = {};
  if (route.subresource !== undefined) {
    if (route.subresource !== 'status' || !kind.hasStatusSubresource) throw notFound(kind, name);
    options = { subresource: 'status' };
  }
  switch (req.method) {
    case 'GET':
      if (route.legacyWatch || isWatch(ctx.params)) {
        const selectors = selectorsFrom(ctx.params, kind);
        selectors.fields.push({ field: 'metadata.name', op: 'eq', value: name });
        return startWatch(ctx, selectors);
      }
      return respondObject(ctx, 200, service.get(kind, namespace, name) as unknown as JsonObject);
    case 'PUT': {
      const object = await readRequestObject(req);
      const write = writeOptions(ctx, options);
      const updated = service.update(kind, namespace, name, object, write);
      return respondObject(ctx, 200, updated as unknown as JsonObject, write.warnings);
    }
    case 'PATCH': {
      const type = patchTypeOf(req.headers['content-type']);
      const body = await readBody(req);
      const write = writeOptions(ctx, options);
      const patched = service.patch(kind, namespace, name, type, body, write);
      return respondObject(ctx, 200, patched as unknown as JsonObject, write.warnings);
    }
    case 'DELETE': {
      if (options.subresource)
        throw methodNotAllowed('the server does not allow this method on the requested resource');
      const deleted = service.delete(kind, namespace, name, await deleteOptions(req));
      return respondObject(ctx, 200, deleted as unknown as JsonObject);
    }
    default:
      throw methodNotAllowed(`the server does not allow this method on the requested resource`);
  }
}

/** Serves one `/api/v1/...` or `/apis/g/v/...` resource request. */
export async function handleResource(
  req: IncomingMessage,
  res: ServerResponse,
  route: ResourceRoute,
  params: URLSearchParams,
  service: ResourceService,
  watches: WatchSettings,
): Promise<void> {
  const kind = service.registry.byResource(route.group, route.version, route.plural);
  if (!kind)
    throw new StatusError(404, 'NotFound', 'the server could not find the requested resource', {
      causes: [{ reason: 'UnexpectedServerResponse', message: '404 page not found' }],
    });
  if (!kind.namespaced && route.namespace !== undefined)
    throw new StatusError(404, 'NotFound', 'the server could not find the requested resource');
  const ctx: Context = { req, res, params, route, kind, service, watches };
  if (route.name === undefined) return handleCollection(ctx);
  if (route.name === '') throw badRequest('resource name may not be empty');
  return handleItem(ctx, route.name);
}
