import type { IncomingMessage, ServerResponse } from 'node:http';
import { isJsonObject } from '../api/kube-object.js';
import { badRequest, notFound } from '../api/status-error.js';
import { readBody, sendJson } from '../server/http-io.js';
import type { FaultInjector, PauseMode } from './fault-injector.js';

/** URL prefix of the fault endpoints; not part of any Kubernetes API. */
export const faultPathPrefix = '/__fault/';

async function jsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const text = await readBody(req);
  if (text.trim() === '') return {};
  const parsed: unknown = JSON.parse(text);
  if (!isJsonObject(parsed)) throw badRequest('fault request body must be a JSON object');
  return parsed;
}

function num(value: unknown, fallback: number): number {
  return typeof value === 'number' ? value : fallback;
}

/**
 * POST /__fault/fail {count,status,message?,path?,verb?} | /drop-watches | /expire-watch {count?} |
 * /latency {ms} | /pause {mode:'hang'|'refuse', durationMs?} | /resume | /reset — for other processes.
 */
export async function handleFaultRequest(
  req: IncomingMessage,
  res: ServerResponse,
  faults: FaultInjector,
): Promise<void> {
  const action = (req.url ?? '').slice(faultPathPrefix.length).split('?')[0];
  const body = await jsonBody(req);
  switch (action) {
    case 'fail':
      faults.failNext({
        count: num(body['count'], 1),
        status: num(body['status'], 500),
        ...(typeof body['message'] === 'string' ? { message: body['message'] } : {}),
        ...(typeof body['path'] === 'string' ? { path: body['path'] } : {}),
        ...(typeof body['verb'] === 'string' ? { verb: body['verb'] } : {}),
      });
      return sendJson(res, 200, { ok: true });
    case 'drop-watches':
      return sendJson(res, 200, { dropped: faults.dropWatches() });
    case 'expire-watch':
      faults.expireNextWatch(num(body['count'], 1));
      return sendJson(res, 200, { ok: true });
    case 'latency':
      faults.setLatency(num(body['ms'], 0));
      return sendJson(res, 200, { ok: true });
    case 'pause': {
      const mode = body['mode'] === 'refuse' ? 'refuse' : ('hang' satisfies PauseMode);
      // Answer first: in 'refuse' mode this very connection is about to be closed.
      sendJson(res, 200, { ok: true });
      await faults.pause(mode);
      const duration = num(body['durationMs'], 0);
      if (duration > 0) setTimeout(() => void faults.resume(), duration);
      return;
    }
    case 'resume':
      await faults.resume();
      return sendJson(res, 200, { ok: true });
    case 'reset':
      await faults.reset();
      return sendJson(res, 200, { ok: true });
    default:
      throw notFound({ group: '', plural: 'faults' }, action ?? '');
  }
}
