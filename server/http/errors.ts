import type { ErrorCode } from '../../shared/errors.js';

/** How each error code is answered over HTTP (API.md, Conventions). */
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
  request_exists: 409,
  request_decided: 409,
  request_expired: 409,
  gone: 410,
  version_mismatch: 412,
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
  410: 'Gone',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export const titleOf = (status: number): string => TITLE_BY_STATUS[status] ?? 'Error';
