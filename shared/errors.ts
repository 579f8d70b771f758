/**
 * The stable `code` of every problem+json response (API.md, Conventions). Clients branch on
 * these, never on `title` or `detail`.
 */
export const ERROR_CODES = [
  'validation_failed',
  'unauthenticated',
  'forbidden',
  'not_found',
  'conflict',
  'email_taken',
  'schedule_exists',
  'schedule_published',
  'shift_overlap',
  'shift_taken',
  'request_exists',
  'request_decided',
  'request_expired',
  'payload_too_large',
  'unsupported_media_type',
  'unprocessable',
  'rate_limited',
  'service_unavailable',
  'internal',
  'version_mismatch',
  'gone',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface FieldError {
  path: string;
  message: string;
}

/** RFC 9457 problem details as this API sends them. */
export interface Problem {
  type: 'about:blank';
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  errors?: FieldError[];
  conflicts?: number[];
  /** With `version_mismatch`: the schedule or shift as it is now; null for a shift deleted since. */
  current?: unknown;
  /** With `version_mismatch`: who made its last change; null when unknown (not made through the API, or that person is gone). */
  changedBy?: { id: number; name: string } | null;
}
