import { ApiException } from '@kubernetes/client-node';

/** The HTTP status of a client-node API error, or undefined for anything else (network errors, bugs). */
export function statusCodeOf(error: unknown): number | undefined {
  return error instanceof ApiException ? error.code : undefined;
}

export function isNotFound(error: unknown): boolean {
  return statusCodeOf(error) === 404;
}

export function isAlreadyExists(error: unknown): boolean {
  return statusCodeOf(error) === 409;
}

/** A short, single-line description for logs and condition messages. */
export function describeError(error: unknown): string {
  const code = statusCodeOf(error);
  const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
  return code === undefined ? (message ?? 'unknown error') : `HTTP ${code}: ${message ?? ''}`.trim();
}
