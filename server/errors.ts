import type { ErrorCode, FieldError } from '../shared/errors.js';

/** Who made a change, as a 412 names them ("Femke changed this shift"). */
export interface Editor {
  id: number;
  name: string;
}

export interface AppErrorOptions {
  errors?: FieldError[];
  conflicts?: number[];
  /** The resource as it is now, for a failed precondition (`version_mismatch`). */
  current?: unknown;
  /** With `current`: who made its last change (null when no one through the API, or they are gone). */
  changedBy?: Editor | null;
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
  readonly changedBy?: Editor | null;
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
    this.changedBy = options.changedBy;
    this.retryAfter = options.retryAfter;
  }
}

export const notFound = (what = 'resource') => new AppError('not_found', `No such ${what}.`);
export const forbidden = (detail = 'You may not do this.') => new AppError('forbidden', detail);

/**
 * The versions an `If-Match` accepts (any of them); undefined when the request set no
 * precondition, and then the write goes ahead whatever the version (API.md, Conventions).
 */
export type Precondition = readonly number[] | undefined;

export const preconditionHolds = (precondition: Precondition, version: number): boolean =>
  precondition === undefined || precondition.includes(version);

/** 412: the caller's copy is stale. Says what the target is now and who changed it last. */
export const versionMismatch = (what: 'schedule' | 'shift', current: unknown, changedBy: Editor | null) =>
  new AppError('version_mismatch', `This ${what} has changed since you loaded it; here it is as it is now.`, { current, changedBy });
