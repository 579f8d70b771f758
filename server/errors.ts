import type { ErrorCode, FieldError } from '../shared/errors.js';

export interface AppErrorOptions {
  errors?: FieldError[];
  conflicts?: number[];
  /** The resource as it is now, for a failed precondition (`version_mismatch`). */
  current?: unknown;
  /** Seconds until a retry may succeed (rate limits, a dependency that is down). */
  retryAfter?: number;
  cause?: unknown;
}

/**
 * The one error type of the server, thrown by repositories, services and routes alike. It names
 * what went wrong by its stable `code` (shared/errors.ts); how that becomes HTTP (status, title,
 * headers) is the http layer's business (server/http/errors.ts). Its `detail` is shown to the
 * client, so it never carries SQL, a Redis key or a stack; the underlying error goes in `cause`,
 * which is logged, never sent.
 */
export class AppError extends Error {
  override name = 'AppError';
  readonly errors?: FieldError[];
  readonly conflicts?: number[];
  readonly current?: unknown;
  readonly retryAfter?: number;

  constructor(
    readonly code: ErrorCode,
    readonly detail: string,
    options: AppErrorOptions = {},
  ) {
    super(detail, options.cause === undefined ? undefined : { cause: options.cause });
    this.errors = options.errors;
    this.conflicts = options.conflicts;
    this.current = options.current;
    this.retryAfter = options.retryAfter;
  }
}

export const notFound = (what = 'resource') => new AppError('not_found', `No such ${what}.`);
export const forbidden = (detail = 'You may not do this.') => new AppError('forbidden', detail);
