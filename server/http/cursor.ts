import type { z } from 'zod';
import { AppError } from '../errors.js';

/**
 * Opaque keyset cursors: the sort key of the last item, as base64url JSON. Clients pass them
 * back untouched, but nothing stops one from forging a cursor, so a decoded cursor is parsed with
 * the schema of the keys it must hold: anything else is a 400, never a value that reaches SQL.
 */
export function encodeCursor(position: Record<string, string | number>): string {
  return Buffer.from(JSON.stringify(position), 'utf8').toString('base64url');
}

export function decodeCursor<S extends z.ZodType>(cursor: string, schema: S): z.output<S> {
  const invalid = () =>
    new AppError('validation_failed', 'The cursor is not one this API issued.', { errors: [{ path: 'cursor', message: 'is not valid' }] });
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  const result = schema.safeParse(value);
  if (!result.success) throw invalid();
  return result.data;
}
