/**
 * What a repository needs to know about a failed statement. Drizzle wraps driver errors
 * (DrizzleQueryError with the pg error in `cause`); PGlite throws its own with the same fields.
 * Repositories turn these into AppErrors, so services never see a Postgres error code.
 */
export interface ConstraintViolation {
  /** SQLSTATE: 23505 unique, 23P01 exclusion, 23503 foreign key, 23514 check. */
  sqlState: string;
  constraint: string | undefined;
}

export const SQLSTATE = {
  uniqueViolation: '23505',
  exclusionViolation: '23P01',
  foreignKeyViolation: '23503',
  checkViolation: '23514',
  serializationFailure: '40001',
  deadlockDetected: '40P01',
} as const;

export function constraintViolation(err: unknown): ConstraintViolation | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const { code, constraint } = e as { code?: unknown; constraint?: unknown };
    if (typeof code === 'string' && code.startsWith('23')) {
      return { sqlState: code, constraint: typeof constraint === 'string' ? constraint : undefined };
    }
  }
  return undefined;
}

/**
 * True when Postgres aborted the statement to settle a race with a concurrent one (a deadlock, a
 * serialization failure). Nothing of it was kept, and the same statement sent again gets a real
 * answer: typically the constraint violation the race was about.
 */
export function isConcurrencyAbort(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const { code } = e as { code?: unknown };
    if (code === SQLSTATE.deadlockDetected || code === SQLSTATE.serializationFailure) return true;
  }
  return false;
}

const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', '57P01', '57P02', '57P03', '53300']);
const UNAVAILABLE_MESSAGES = /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|the database system is (starting up|shutting down)/i;

/**
 * True when Postgres could not be reached or went away mid-query (restart, failover, too many
 * connections): the request may succeed if retried, so it is a 503, not a bug's 500.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && (UNAVAILABLE_CODES.has(code) || code.startsWith('08'))) return true;
    if (typeof message === 'string' && UNAVAILABLE_MESSAGES.test(message)) return true;
  }
  return false;
}

/** Whether an error came from the database driver at all (for the error counter). */
export function isDatabaseError(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const name = (e as { name?: unknown }).name;
    const code = (e as { code?: unknown }).code;
    if (name === 'DrizzleQueryError' || (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code))) return true;
  }
  return false;
}
