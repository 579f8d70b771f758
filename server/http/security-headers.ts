import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Request, RequestHandler } from 'express';
import helmet, { type HelmetOptions } from 'helmet';

/**
 * helmet's headers on every response, worked out once. With options that hold no functions (no
 * per-request CSP nonce), helmet sets the same dozen headers on every response through a chain
 * of a dozen middleware; here they are captured from one dry run of helmet itself and set in one
 * loop. helmet stays the source of truth for what the headers are and say.
 *
 * Two sets: `options` as given for requests that came over https (TLS here, or a proxy trusted by
 * TRUST_PROXY that says so), and the same without HSTS and `upgrade-insecure-requests` for plain
 * http, where they would send browsers to an https that may not exist (docs/decisions/010).
 *
 * Requests `isStream` picks (the event stream) get only the headers that say something to a
 * response no browser renders as a page (STREAM_HEADERS; docs/decisions/035).
 */
export function securityHeaders(options: Readonly<HelmetOptions>, { isStream }: { isStream?: (req: Request) => boolean } = {}): RequestHandler {
  const overHttps = headersOf(options);
  const overHttp = headersOf(withoutHttpsUpgrades(options));
  const streamOverHttps = overHttps.filter(([name]) => STREAM_HEADERS.has(name.toLowerCase()));
  const streamOverHttp = overHttp.filter(([name]) => STREAM_HEADERS.has(name.toLowerCase()));
  return (req, res, next) => {
    const stream = isStream?.(req) ?? false;
    const headers = req.secure ? (stream ? streamOverHttps : overHttps) : stream ? streamOverHttp : overHttp;
    for (const [name, value] of headers) res.setHeader(name, value);
    next();
  };
}

/**
 * What still applies to an event stream. CSP, framing, COOP, Origin-Agent-Cluster, the referrer
 * policy and the rest govern documents, and a stream is never one. nosniff keeps it read as its
 * own type only, CORP keeps other sites from loading it, and HSTS (over https) is about the host,
 * whichever response carries it. Every stream holds its header map and header block for as long as
 * it is open, so the dozen document headers would cost each open stream about 1.4 KB of heap.
 */
export const STREAM_HEADERS: ReadonlySet<string> = new Set(['cross-origin-resource-policy', 'strict-transport-security', 'x-content-type-options']);

export function withoutHttpsUpgrades(options: Readonly<HelmetOptions>): HelmetOptions {
  // `hsts` is helmet's other name for strictTransportSecurity; it refuses both at once.
  const { hsts: _hsts, contentSecurityPolicy: csp, ...rest } = options as HelmetOptions & { hsts?: unknown };
  const given = typeof csp === 'object' ? csp : {};
  return {
    ...rest,
    strictTransportSecurity: false,
    contentSecurityPolicy: csp === false ? false : { ...given, directives: { ...given.directives, upgradeInsecureRequests: null } },
  } as HelmetOptions;
}

function headersOf(options: Readonly<HelmetOptions>): [string, string][] {
  if (holdsFunction(options)) throw new Error('helmet options with functions (a CSP nonce) make headers per request: use helmet() itself');
  const headers: [string, string][] = [];
  const res = {
    setHeader: (name: string, value: string) => headers.push([name, value]),
    // X-Powered-By: Express's own setting turns it off (app.ts).
    removeHeader: () => {},
  };
  let finished = false;
  let failed: unknown;
  helmet(options)({} as IncomingMessage, res as unknown as ServerResponse, (err?: unknown) => {
    finished = true;
    failed = err;
  });
  if (failed) throw failed;
  if (!finished) throw new Error('helmet did not finish synchronously: its headers depend on the request');
  return headers;
}

function holdsFunction(value: unknown): boolean {
  if (typeof value === 'function') return true;
  if (value === null || typeof value !== 'object') return false;
  return Object.values(value).some(holdsFunction);
}
