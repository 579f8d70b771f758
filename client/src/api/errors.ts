import type { ErrorCode, FieldError, Problem } from '../../../shared/index.js';

/**
 * Every failed request becomes one of these. `code` is the API's stable error code, or
 * `network` when no answer arrived at all; screens branch on it, never on the wording.
 */
export class ApiError extends Error {
  readonly status: number;
  readonly code: ErrorCode | 'network';
  readonly errors: FieldError[];
  readonly conflicts: number[];
  /** Seconds, from `Retry-After` on 429 and 503 answers. */
  readonly retryAfter: number | null;
  /** With `version_mismatch`: the target as it is now (null: deleted since). */
  readonly current: unknown;
  /** With `version_mismatch`: who changed it last, when the server knows. */
  readonly changedBy: { id: number; name: string } | null;

  constructor(init: {
    status: number;
    code: ErrorCode | 'network';
    message: string;
    errors?: FieldError[];
    conflicts?: number[];
    retryAfter?: number | null;
    current?: unknown;
    changedBy?: { id: number; name: string } | null;
  }) {
    super(init.message);
    this.name = 'ApiError';
    this.status = init.status;
    this.code = init.code;
    this.errors = init.errors ?? [];
    this.conflicts = init.conflicts ?? [];
    this.retryAfter = init.retryAfter ?? null;
    this.current = init.current ?? null;
    this.changedBy = init.changedBy ?? null;
  }

  static fromProblem(problem: Problem, retryAfter: number | null): ApiError {
    return new ApiError({
      status: problem.status,
      code: problem.code,
      message: problem.detail || problem.title,
      errors: problem.errors,
      conflicts: problem.conflicts,
      retryAfter,
      current: problem.current,
      changedBy: problem.changedBy,
    });
  }

  /** The message for a given form field (`endsAt`, `memberships.0.position`), if the server sent one. */
  fieldError(path: string): string | undefined {
    return this.errors.find((e) => e.path === path)?.message;
  }
}

export function isApiError(err: unknown, code?: ApiError['code']): err is ApiError {
  return err instanceof ApiError && (code === undefined || err.code === code);
}

/** Words for a person, for errors a screen has no more specific message for. */
export function describeError(err: unknown): string {
  if (!(err instanceof ApiError)) return 'Something went wrong. Please try again.';
  switch (err.code) {
    case 'network':
      return 'Cannot reach Crew Plots. Check your connection and try again.';
    case 'forbidden':
      // The server says which rule refused it ("Managers assign crew only to locations they manage.").
      return err.message || 'You do not have permission to do that.';
    case 'not_found':
      return 'This no longer exists. It may have been deleted.';
    case 'rate_limited':
      return `Too many attempts. Try again ${retryPhrase(err.retryAfter)}.`;
    case 'service_unavailable':
      return 'Crew Plots is briefly unavailable. Try again in a moment.';
    case 'version_mismatch':
      // The screen now shows the current version (the mutation reloaded it): the person looks, then decides again.
      return `${err.changedBy ? err.changedBy.name : 'Someone else'} changed this meanwhile. It now shows their version; check it and try again.`;
    case 'internal':
      return 'Something went wrong on our side. Please try again.';
    default:
      return err.message;
  }
}

export function retryPhrase(seconds: number | null): string {
  if (!seconds || seconds <= 0) return 'in a few minutes';
  if (seconds < 60) return `in ${seconds} second${seconds === 1 ? '' : 's'}`;
  const minutes = Math.ceil(seconds / 60);
  return `in ${minutes} minute${minutes === 1 ? '' : 's'}`;
}
