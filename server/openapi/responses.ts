import type { ErrorCode } from '../../shared/errors.js';
import { statusOf } from '../http/errors.js';
import type { RouteDef } from '../http/route.js';

export type JsonSchema = Record<string, unknown>;

/**
 * The answers of one operation in the OpenAPI document: its success (JSON or the type it
 * `produces`), and every problem it can really send, with the headers that come with them.
 */

/**
 * What any /api request can be answered with, whatever its route: the media-type rule in front of
 * every route (server/http/body.ts) refuses a body that is not JSON (415) on every method, GET
 * included; a path segment that cannot be decoded is a 400; and a server that is shutting down
 * refuses handlers that have not started yet (503, server/http/in-flight.ts). A body is parsed only
 * by a route that takes one, after its access check (docs/decisions/010): only there can it be too
 * large (413) or malformed (400).
 */
const EVERY_OPERATION: readonly ErrorCode[] = ['validation_failed', 'unsupported_media_type', 'service_unavailable'];

/** When each code is sent, as the document's response descriptions say it. */
const WHEN: Record<ErrorCode, string> = {
  validation_failed: '`validation_failed`: a parameter, header or the body is not valid (each field is named in `errors`), or the body is not JSON',
  unauthenticated: '`unauthenticated`: no valid session',
  forbidden: '`forbidden`: the caller may not do this (their role or relation to the resource, or, for a state-changing request, a foreign `Origin` or `Referer`)',
  not_found: '`not_found`: no such resource, or one the caller may not see',
  conflict: '`conflict`: the request conflicts with the current state',
  email_taken: '`email_taken`: another user has this email (in any letter case)',
  schedule_exists: '`schedule_exists`: the location already has a schedule for that week',
  schedule_published: '`schedule_published`: a published schedule cannot be deleted',
  shift_overlap: "`shift_overlap`: the shift would overlap another of the person's shifts, listed in `conflicts`",
  shift_taken: '`shift_taken`: someone else took the shift first',
  request_exists: '`request_exists`: the shift already has an undecided request, listed in `conflicts`',
  request_decided: '`request_decided`: the request is no longer open to this action (it was answered, cancelled, or is waiting for someone else)',
  request_expired: '`request_expired`: the shift has started, so the request can no longer be answered',
  gone: '`gone`: a one-time link that was already used or has expired',
  version_mismatch:
    '`version_mismatch`: the `If-Match` version is not the current one; nothing changed, `current` holds the resource as it is now and `changedBy` who changed it',
  payload_too_large: '`payload_too_large`: the body is larger than this route accepts',
  unsupported_media_type: '`unsupported_media_type`: a body that is not `application/json`',
  unprocessable: '`unprocessable`: well-formed input that the rules refuse',
  rate_limited: '`rate_limited`: too many attempts; try again after `Retry-After` seconds',
  service_unavailable: '`service_unavailable`: a backing service is down for a moment, or the server is shutting down; try again after `Retry-After` seconds',
  internal: '`internal`: a bug, logged with the request id',
};

/** Who is unauthenticated depends on how the route is entered. */
const UNAUTHENTICATED: Record<RouteDef['access']['kind'], string> = {
  public: '`unauthenticated`: the credentials are not valid',
  session: WHEN.unauthenticated,
  metrics: '`unauthenticated`: neither a valid session nor the metrics token',
};

export function errorCodes(route: RouteDef): ErrorCode[] {
  const codes = new Set<ErrorCode>(EVERY_OPERATION);
  if (route.body) codes.add('payload_too_large');
  for (const code of route.errors ?? []) codes.add(code);
  if (route.access.kind !== 'public') codes.add('unauthenticated');
  if ((route.access.kind === 'session' && route.access.roles) || route.access.kind === 'metrics') codes.add('forbidden');
  // A state-changing request from a foreign Origin or Referer (server/http/csrf.ts).
  if (route.method !== 'get') codes.add('forbidden');
  if (route.ifMatch) codes.add('version_mismatch');
  return [...codes];
}

const retryAfter = (required: boolean) => ({
  'Retry-After': { description: 'Seconds to wait before trying again', required, schema: { type: 'integer', minimum: 1 } },
});

const SESSION_COOKIE_HEADERS = {
  set: {
    description:
      '`crewplots.sid`: the new session (`HttpOnly`, `SameSite=Lax`, `Secure` with secure cookies, a day long); a session the request came with has ended. ' +
      'And `crewplots.dev`, the device cookie that exempts this browser from the account\'s login limit (`HttpOnly`, `SameSite=Strict`, `Path=/api/auth/login`, a year long)',
    required: true,
  },
  cleared: { description: '`crewplots.sid`, expired: the browser drops the session cookie', required: true },
  refreshed: { description: '`crewplots.sid` again with a later expiry, sent when half of the session\'s lifetime is spent', required: false },
} as const;

function sessionCookieHeader(route: RouteDef) {
  const which = route.sessionCookie ?? (route.access.kind === 'session' ? 'refreshed' : undefined);
  if (!which) return undefined;
  return { 'Set-Cookie': { ...SESSION_COOKIE_HEADERS[which], schema: { type: 'string' } } };
}

/** A 412 answers one way only: the Problem, with `current` and `changedBy`. */
const VERSION_MISMATCH: JsonSchema = {
  description:
    'A Problem with code `version_mismatch`, `current` (the resource as it is now; null for a shift deleted since) and `changedBy` (who made its last change, or null)',
  allOf: [
    { $ref: '#/components/schemas/Problem' },
    { type: 'object', required: ['current', 'changedBy'], properties: { status: { const: 412 }, code: { const: 'version_mismatch' } } },
  ],
};

const problemContent = (schemaRef: string) => ({ 'application/problem+json': { schema: { $ref: schemaRef } } });

/**
 * `schemaOf` converts a zod schema (adding its named parts to the components); `components` gets
 * the shared schemas these responses refer to, once one refers to them.
 */
export function responsesOf(route: RouteDef, schemaOf: (schema: NonNullable<RouteDef['success']['schema']>) => JsonSchema, components: Record<string, JsonSchema>) {
  const { status, schema, description, degraded } = route.success;
  const responses: Record<string, unknown> = {};

  const successContent = route.produces
    ? { [route.produces]: { schema: { type: 'string', ...(schema?.description ? { description: schema.description } : {}) } } }
    : schema
      ? { 'application/json': { schema: schemaOf(schema) } }
      : undefined;
  const cookie = sessionCookieHeader(route);
  responses[String(status)] = {
    description: description ?? route.summary,
    ...(cookie ? { headers: cookie } : {}),
    ...(successContent ? { content: successContent } : {}),
  };

  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of errorCodes(route)) byStatus.set(statusOf(code), [...(byStatus.get(statusOf(code)) ?? []), code]);
  for (const [errorStatus, codes] of [...byStatus].sort(([a], [b]) => a - b)) {
    const problem = `Problem: ${codes.map((code) => (code === 'unauthenticated' ? UNAUTHENTICATED[route.access.kind] : WHEN[code])).join('; ')}.`;
    let content: Record<string, unknown> = problemContent('#/components/schemas/Problem');
    if (errorStatus === 412 && codes.every((code) => code === 'version_mismatch')) {
      components.VersionMismatchProblem ??= VERSION_MISMATCH;
      content = problemContent('#/components/schemas/VersionMismatchProblem');
    }
    const unhealthy = errorStatus === 503 && degraded !== undefined && schema !== null;
    if (unhealthy) content = { 'application/json': { schema: schemaOf(schema) }, ...content };
    responses[String(errorStatus)] = {
      description: unhealthy ? `${degraded}, with the same body as a 200. Or a ${problem}` : problem,
      // Every 429 and every problem 503 says when to come back; a probe's own 503 body does not.
      ...(errorStatus === 429 || errorStatus === 503 ? { headers: retryAfter(!unhealthy) } : {}),
      content,
    };
  }
  return responses;
}
