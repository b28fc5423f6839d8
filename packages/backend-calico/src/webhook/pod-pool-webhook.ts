// The HTTPS server the MutatingWebhookConfiguration calls. One route answers AdmissionReviews; /healthz for
// probes. Any failure becomes an HTTP error answer: the server never throws out of a request.
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { answerAdmissionReview, type AdmissionDependencies, type HttpAnswer } from './admission-review.js';
import type { WebhookTls } from './webhook-tls.js';

export const MUTATE_PODS_PATH = '/mutate-pods';
/** Kubernetes caps AdmissionReview bodies well below this; anything larger is not one. */
const MAX_BODY_BYTES = 4 * 1024 * 1024;

export interface PodPoolWebhookOptions extends AdmissionDependencies {
  tls: WebhookTls;
  host?: string;
  port?: number;
  onError?: (error: unknown) => void;
}

export class PodPoolWebhook {
  private server: Server | undefined;

  constructor(private readonly options: PodPoolWebhookOptions) {}

  /** Starts listening; resolves with the bound port (use port 0 for an ephemeral one). */
  async start(): Promise<number> {
    const server = createServer(
      { cert: this.options.tls.cert, key: this.options.tls.key },
      (request, response) => {
        void this.handle(request, response);
      },
    );
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port ?? 9443, this.options.host ?? '0.0.0.0', () => {
        server.off('error', reject);
        resolve();
      });
    });
    return (server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    try {
      const path = new URL(request.url ?? '/', 'https://webhook').pathname;
      if (request.method === 'GET' && path === '/healthz') return send(response, { status: 200, body: 'ok' });
      if (path !== MUTATE_PODS_PATH) return send(response, status(404, `no route ${path}`));
      if (request.method !== 'POST') return send(response, status(405, 'AdmissionReviews are POSTed'));
      const body = await readBody(request);
      if (body === undefined) return send(response, status(413, `body larger than ${MAX_BODY_BYTES} bytes`));
      send(response, await answerAdmissionReview(body, this.options));
    } catch (error) {
      this.options.onError?.(error);
      if (!response.headersSent) send(response, status(500, `webhook failed: ${(error as Error).message}`));
      else response.destroy();
    }
  }
}

function status(code: number, message: string): HttpAnswer {
  return { status: code, body: { kind: 'Status', apiVersion: 'v1', status: 'Failure', code, message } };
}

function send(response: ServerResponse, answer: HttpAnswer): void {
  const text = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
  response.writeHead(answer.status, {
    'Content-Type': typeof answer.body === 'string' ? 'text/plain' : 'application/json',
    'Content-Length': Buffer.byteLength(text),
  });
  response.end(text);
}

async function readBody(request: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
