import type { ErrorCode, FieldError } from '../../shared/errors.js';

const STATUS_BY_CODE: Record<ErrorCode, number> = {
  validation_failed: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  email_taken: 409,
  schedule_exists: 409,
  schedule_published: 409,
  shift_overlap: 409,
  shift_taken: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  unprocessable: 422,
  rate_limited: 429,
  service_unavailable: 503,
  internal: 500,
};

export const statusOf = (code: ErrorCode): number => STATUS_BY_CODE[code];

const TITLE_BY_STATUS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export interface AppErrorOptions {
  errors?: FieldError[];
  conflicts?: number[];
  /** Seconds, sent as `Retry-After` (429 and 503). */
  retryAfter?: number;
  cause?: unknown;
}

/**
 * The one error type of the server. Its `detail` is shown to the client, so it never carries SQL,
 * a Redis key or a stack; the underlying error goes in `cause`, which is logged, never sent.
 */
export class AppError extends Error {
  override name = 'AppError';
  readonly status: number;
  readonly errors?: FieldError[];
  readonly conflicts?: number[];
  readonly retryAfter?: number;

  constructor(
    readonly code: ErrorCode,
    readonly detail: string,
    options: AppErrorOptions = {},
  ) {
    super(detail, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = STATUS_BY_CODE[code];
    this.errors = options.errors;
    this.conflicts = options.conflicts;
    this.retryAfter = options.retryAfter;
  }

  get title(): string {
    return TITLE_BY_STATUS[this.status] ?? 'Error';
  }
}

export const notFound = (what = 'resource') => new AppError('not_found', `No such ${what}.`);
export const forbidden = (detail = 'You may not do this.') => new AppError('forbidden', detail);
