import type { JsonObject } from './kube-object.js';

/** `metav1.StatusCause`. */
export interface StatusCause {
  reason?: string;
  message: string;
  field?: string;
}

/** `metav1.StatusDetails`: `kind` is the resource (plural) for most errors, as the real server sends it. */
export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

/** The `reason` values the real server uses, keyed to their HTTP codes. */
export const reasonForCode: Readonly<Record<number, string>> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  406: 'NotAcceptable',
  409: 'Conflict',
  410: 'Gone',
  413: 'RequestEntityTooLarge',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

/** An API error that renders as the `Status` object the real kube-apiserver returns. */
export class StatusError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: StatusDetails,
  ) {
    super(message);
    this.name = 'StatusError';
  }

  toStatus(): JsonObject {
    const status: JsonObject = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
    };
    if (this.details) status['details'] = this.details as unknown as JsonObject;
    status['code'] = this.code;
    return status;
  }
}

/** How the server names a resource in messages: `pods`, `egresses.egress.proxier.io`. */
export interface QualifiedResource {
  group: string;
  plural: string;
}

function qualified(resource: QualifiedResource): string {
  return resource.group ? `${resource.plural}.${resource.group}` : resource.plural;
}

function detailsFor(resource: QualifiedResource, name: string): StatusDetails {
  return resource.group
    ? { name, group: resource.group, kind: resource.plural }
    : { name, kind: resource.plural };
}

export function notFound(resource: QualifiedResource, name: string): StatusError {
  return new StatusError(
    404,
    'NotFound',
    `${qualified(resource)} "${name}" not found`,
    detailsFor(resource, name),
  );
}

export function alreadyExists(resource: QualifiedResource, name: string): StatusError {
  return new StatusError(
    409,
    'AlreadyExists',
    `${qualified(resource)} "${name}" already exists`,
    detailsFor(resource, name),
  );
}

export function conflict(resource: QualifiedResource, name: string): StatusError {
  return new StatusError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualified(resource)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    detailsFor(resource, name),
  );
}

/** 422 with field causes, formatted like apimachinery's `NewInvalid`. */
export function invalid(kind: string, group: string, name: string, causes: StatusCause[]): StatusError {
  const summary = causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message));
  const list = summary.length === 1 ? summary[0] : `[${summary.join(', ')}]`;
  const details: StatusDetails = group ? { name, group, kind, causes } : { name, kind, causes };
  return new StatusError(
    422,
    'Invalid',
    `${kind}${group ? `.${group}` : ''} "${name}" is invalid: ${list}`,
    details,
  );
}

export function badRequest(message: string): StatusError {
  return new StatusError(400, 'BadRequest', message);
}

export function methodNotAllowed(message: string): StatusError {
  return new StatusError(405, 'MethodNotAllowed', message);
}

export function unsupportedMediaType(contentType: string): StatusError {
  return new StatusError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json (got ${contentType})`,
  );
}

export function internalError(message: string): StatusError {
  return new StatusError(500, 'InternalError', `Internal error occurred: ${message}`, {
    causes: [{ message }],
  });
}

export function expired(requested: number, oldest: number): StatusError {
  return new StatusError(410, 'Expired', `too old resource version: ${requested} (${oldest})`);
}

/** The Status a chosen HTTP code maps to, for fault injection: same reason and shape as the real server. */
export function statusForCode(code: number, message: string): StatusError {
  if (code === 500) return internalError(message);
  const reason = reasonForCode[code] ?? (code >= 500 ? 'InternalError' : 'BadRequest');
  // No Retry-After: client-go would silently retry 429/5xx carrying one, hiding the fault from the test.
  return new StatusError(code, reason, message);
}
