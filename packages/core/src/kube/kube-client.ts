// A thin HTTP client for the few API calls the agent makes (list, watch, get/create/update leases, status
// patches). It takes credentials from client-node's KubeConfig but does its own requests so that every call
// has a deadline, a watch can be torn down and restarted by the agent, and a list is parsed straight into
// slim objects without client-node's model classes (150,000 pods must stay a few hundred bytes each).
import http from 'node:http';
import https from 'node:https';
import { createInterface } from 'node:readline';
import type { KubeConfig } from '@kubernetes/client-node';
import { ListStreamParser } from './list-stream-parser.js';

export class KubeApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = 'KubeApiError';
  }
}

export interface KubeRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  body?: unknown;
  contentType?: string;
  timeoutMs: number;
  signal?: AbortSignal;
}

/** One event of a watch stream, as the API server sends it. */
export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: Record<string, unknown>;
}

export interface WatchHandle {
  /** Closes the connection; `onEnd` is not called for a close the caller asked for. */
  close(): void;
}

export class KubeClient {
  private readonly server: URL;
  private readonly agent: http.Agent;
  private requestOptions: https.RequestOptions | undefined;

  constructor(private readonly kubeConfig: KubeConfig) {
    const cluster = kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error('the kubeconfig has no current cluster');
    this.server = new URL(cluster.server);
    const secure = this.server.protocol === 'https:';
    // Keep-alive so a renew every second does not pay a TLS handshake each time.
    this.agent = secure ? new https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true });
  }

  get config(): KubeConfig {
    return this.kubeConfig;
  }

  /** Ends idle keep-alive connections (on shutdown). */
  destroy(): void {
    this.agent.destroy();
  }

  async request<T = Record<string, unknown>>(request: KubeRequest): Promise<T> {
    const text = await this.send(request);
    return (text === '' ? {} : JSON.parse(text)) as T;
  }

  /**
   * A list, streamed: each item goes to `onItem` as soon as it is complete (never the whole response in
   * memory); resolves with the list minus its items (for `metadata.resourceVersion`).
   */
  async list(
    path: string,
    timeoutMs: number,
    onItem: (item: unknown) => void,
  ): Promise<Record<string, unknown>> {
    const url = this.url(path, {});
    const options = await this.optionsFor('GET');
    const headers: http.OutgoingHttpHeaders = {
      ...(options.headers as http.OutgoingHttpHeaders | undefined),
      Accept: 'application/json',
    };
    return new Promise((resolve, reject) => {
      const req = this.transport().request(url, { ...options, headers }, (res) => {
        const status = res.statusCode ?? 0;
        if (status !== 200) {
          collect(res).then((text) => reject(apiError(status, text)), reject);
          return;
        }
        const parser = new ListStreamParser(onItem);
        res.on('data', (chunk: Buffer) => {
          try {
            parser.write(chunk);
          } catch (error) {
            req.destroy(error as Error);
          }
        });
        res.on('end', () => {
          try {
            resolve(parser.end());
          } catch (error) {
            reject(error as Error);
          }
        });
        res.on('error', reject);
      });
      req.setTimeout(Math.max(1, Math.ceil(timeoutMs)), () =>
        req.destroy(new Error(`GET ${path}: no answer within ${timeoutMs} ms`)),
      );
      req.on('error', reject);
      req.end();
    });
  }

  /**
   * Streams a watch. `onEvent` gets each event; `onEnd` once, when the stream ends (clean close: no
   * error; HTTP error status or broken connection: the error).
   */
  async watch(
    path: string,
    query: Record<string, string>,
    onEvent: (event: WatchEvent) => void,
    onEnd: (error?: Error) => void,
  ): Promise<WatchHandle> {
    const url = this.url(path, { ...query, watch: 'true' });
    const options = await this.optionsFor('GET');
    let ended = false;
    const end = (error?: Error): void => {
      if (ended) return;
      ended = true;
      onEnd(error);
    };
    const req = this.transport().request(url, options, (res) => {
      if (res.statusCode !== 200) {
        collect(res).then(
          (text) => end(apiError(res.statusCode ?? 0, text)),
          (error: Error) => end(error),
        );
        return;
      }
      const lines = createInterface({ input: res, crlfDelay: Infinity });
      lines.on('line', (line) => {
        if (ended || line.trim() === '') return;
        let event: WatchEvent;
        try {
          event = JSON.parse(line) as WatchEvent;
        } catch {
          return end(new Error('watch stream: unparsable event'));
        }
        onEvent(event);
      });
      res.on('error', (error) => end(error));
      lines.on('error', (error) => end(error));
      res.on('aborted', () => end(new Error('watch connection aborted')));
      lines.on('close', () => end(res.complete ? undefined : new Error('watch connection closed')));
    });
    req.on('error', (error) => end(error));
    req.end();
    return {
      close: () => {
        if (ended) return;
        ended = true;
        req.destroy();
      },
    };
  }

  private async send(request: KubeRequest): Promise<string> {
    const url = this.url(request.path, {});
    const options = await this.optionsFor(request.method);
    const body = request.body === undefined ? undefined : JSON.stringify(request.body);
    const headers: http.OutgoingHttpHeaders = {
      ...(options.headers as http.OutgoingHttpHeaders | undefined),
      Accept: 'application/json',
    };
    if (body !== undefined) {
      headers['Content-Type'] = request.contentType ?? 'application/json';
      headers['Content-Length'] = Buffer.byteLength(body);
    }
    return new Promise<string>((resolve, reject) => {
      const timeout = AbortSignal.timeout(Math.max(1, Math.ceil(request.timeoutMs)));
      const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
      if (signal.aborted) return reject(abortError(request, timeout));
      const req = this.transport().request(url, { ...options, headers }, (res) => {
        collect(res).then((text) => {
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve(text);
          else reject(apiError(status, text));
        }, reject);
      });
      const onAbort = (): void => {
        req.destroy(abortError(request, timeout));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      req.on('close', () => signal.removeEventListener('abort', onAbort));
      req.on('error', reject);
      req.end(body);
    });
  }

  private transport(): typeof https | typeof http {
    return this.server.protocol === 'https:' ? https : http;
  }

  private url(path: string, query: Record<string, string>): URL {
    const base = this.server.href.replace(/\/$/, '');
    const url = new URL(base + path);
    for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
    return url;
  }

  private async optionsFor(method: string): Promise<https.RequestOptions> {
    if (!this.requestOptions) {
      const options: https.RequestOptions = {};
      await this.kubeConfig.applyToHTTPSOptions(options);
      this.requestOptions = options;
    }
    return { ...this.requestOptions, method, agent: this.agent };
  }
}

function collect(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    stream.on('error', reject);
  });
}

function apiError(statusCode: number, text: string): KubeApiError {
  let reason = 'Unknown';
  let message = text.slice(0, 200);
  try {
    const status = JSON.parse(text) as { reason?: string; message?: string };
    reason = status.reason ?? reason;
    message = status.message ?? message;
  } catch {
    // Not a Status body: keep the raw text.
  }
  return new KubeApiError(statusCode, reason, `HTTP ${statusCode} ${reason}: ${message}`);
}

function abortError(request: KubeRequest, timeout: AbortSignal): Error {
  return new Error(
    timeout.aborted
      ? `${request.method} ${request.path}: no answer within ${request.timeoutMs} ms`
      : `${request.method} ${request.path}: aborted`,
  );
}
