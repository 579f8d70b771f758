import type { z } from 'zod';
import type { FieldError } from '../../shared/errors.js';
import { AppError } from '../errors.js';

function toFieldErrors(error: z.ZodError): FieldError[] {
  return error.issues.map((issue) => ({
    path: issue.path.map(String).join('.'),
    message: issue.message,
  }));
}

/** Parses untrusted input with a shared schema; a mismatch is a 400 naming every bad field. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, what = 'request'): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new AppError('validation_failed', `The ${what} is not valid.`, { errors: toFieldErrors(result.error) });
  }
  return result.data;
}
