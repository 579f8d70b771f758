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
}

async function request<T>(method: Method, path: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  if (options.ifMatch !== undefined) headers['If-Match'] = `"${options.ifMatch}"`;

  let res: Response;
  try {
    res = await fetch(withQuery(`/api${path}`, options.query), {
      method,
      headers,
      credentials: 'same-origin',
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: options.signal,
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
  delete: (path: string, ifMatch?: number) => request<void>('DELETE', path, { ifMatch }),
};
