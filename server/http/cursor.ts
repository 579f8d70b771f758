import { AppError } from './errors.js';

/**
 * Opaque keyset cursors: the sort key of the last item, as base64url JSON. Clients pass them
 * back untouched; anything that does not decode to the expected keys is a 400, never a 500.
 */
export function encodeCursor(position: Record<string, string | number>): string {
  return Buffer.from(JSON.stringify(position), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string, keys: readonly string[]): Record<string, string | number> {
  const invalid = () =>
    new AppError('validation_failed', 'The cursor is not one this API issued.', { errors: [{ path: 'cursor', message: 'is not valid' }] });
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw invalid();
  const record = value as Record<string, unknown>;
  for (const key of keys) {
    const v = record[key];
    const ok = (typeof v === 'number' && Number.isInteger(v) && v > 0 && v <= 2_147_483_647) || (typeof v === 'string' && v.length <= 64);
    if (!ok) throw invalid();
  }
  return record as Record<string, string | number>;
}
