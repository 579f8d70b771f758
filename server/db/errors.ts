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
