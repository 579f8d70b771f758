import type { Problem } from '../../../shared/index.js';
import { ApiError } from './errors.js';

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
export type Query = Record<string, string | number | boolean | null | undefined>;

let onUnauthenticated: (() => void) | null = null;

/**
 * Called when a request that needed a session got a 401: the session expired, was revoked
 * (deactivation, a password change elsewhere) or was never there. The app sends the person to
 * the login page from here, keeping their place.
 */
export function setUnauthenticatedHandler(handler: (() => void) | null): void {
  onUnauthenticated = handler;
}

/** The event stream heard `session.ended`: the same way out as a 401. */
export function reportUnauthenticated(): void {
  onUnauthenticated?.();
}

export function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  }
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

interface RequestOptions {
  query?: Query;
  body?: unknown;
  signal?: AbortSignal;
  /** Login and the session probe answer 401 as part of their job; it must not redirect. */
  allowUnauthenticated?: boolean;
  /** The `version` the change is based on: sent as `If-Match`, so a stale write gets a 412 instead of winning. */
  ifMatch?: number;
  /** Sent through even when the page is being closed or left meanwhile (fetch's `keepalive`). */
  keepalive?: boolean;
}

/**
 * GETs started before any screen asks for them (app/preload.ts), by address. A screen's first GET
 * of the same address takes the answer instead of sending its own; each is taken once, and one
 * nobody took within a few seconds is dropped, so a later read always goes to the server.
 */
const early = new Map<string, Promise<unknown>>();
const EARLY_KEPT_MS = 10_000;

/**
 * Sends a GET now, for a screen about to ask for it. It is sent as if no session were needed: it is
 * a guess made before the session is known, so a 401 must not send anyone to login (the session
 * probe decides that), and a failed guess is simply sent again by the screen.
 */
export function preload(path: string, query?: Query): void {
  const url = withQuery(`/api${path}`, query);
  if (early.has(url)) return;
  const answer = send<unknown>('GET', url, { allowUnauthenticated: true });
  answer.catch(() => undefined);
  early.set(url, answer);
  setTimeout(() => {
    if (early.get(url) === answer) early.delete(url);
  }, EARLY_KEPT_MS);
}

function takeEarly<T>(url: string): Promise<T> | undefined {
  const answer = early.get(url) as Promise<T> | undefined;
  early.delete(url);
  return answer;
}

async function request<T>(method: Method, path: string, options: RequestOptions = {}): Promise<T> {
  const url = withQuery(`/api${path}`, options.query);
  const answer = method === 'GET' ? takeEarly<T>(url) : undefined;
  // A guess that failed (a session that had ended, a dropped connection) is asked again, as usual.
  if (answer) return answer.catch(() => send<T>(method, url, options));
  return send<T>(method, url, options);
}

async function send<T>(method: Method, url: string, options: RequestOptions): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  if (options.ifMatch !== undefined) headers['If-Match'] = `"${options.ifMatch}"`;

  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers,
      credentials: 'same-origin',
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: options.signal,
      keepalive: options.keepalive,
    });
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err;
    throw new ApiError({ status: 0, code: 'network', message: 'The request did not reach the server.' });
  }

  if (res.ok) {
    if (res.status === 204) return undefined as T;
    return (await res.json()) as T;
  }

  const error = await toApiError(res);
  if (error.status === 401 && !options.allowUnauthenticated) onUnauthenticated?.();
  throw error;
}

async function toApiError(res: Response): Promise<ApiError> {
  const retryAfter = Number(res.headers.get('Retry-After')) || null;
  const type = res.headers.get('Content-Type') ?? '';
  if (type.includes('json')) {
    try {
      const body = (await res.json()) as Partial<Problem>;
      if (typeof body.code === 'string' && typeof body.status === 'number') return ApiError.fromProblem(body as Problem, retryAfter);
    } catch {
      // A body that is not the problem shape falls through to the status-based error below.
    }
  }
  const code = res.status === 401 ? 'unauthenticated' : res.status === 404 ? 'not_found' : res.status === 503 ? 'service_unavailable' : 'internal';
  return new ApiError({ status: res.status, code, message: res.statusText || `HTTP ${res.status}`, retryAfter });
}

export const http = {
  get: <T>(path: string, options?: Omit<RequestOptions, 'body'>) => request<T>('GET', path, options),
  post: <T>(path: string, body?: unknown, options?: RequestOptions) => request<T>('POST', path, { ...options, body }),
  patch: <T>(path: string, body: unknown, ifMatch?: number) => request<T>('PATCH', path, { body, ifMatch }),
  put: <T>(path: string, body: unknown) => request<T>('PUT', path, { body }),
  delete: (path: string, ifMatch?: number, options?: Pick<RequestOptions, 'keepalive' | 'allowUnauthenticated'>) =>
    request<void>('DELETE', path, { ...options, ifMatch }),
};
