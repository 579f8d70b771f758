import type { z } from 'zod';
import type { FieldError } from '../../shared/errors.js';
import { AppError } from '../errors.js';

/**
 * What a 400 may say about any one input, however it is built: a body of 90,000 unknown keys or
 * of 50,000 bad array items gets the first MAX_ERRORS problems and their count, each path and
 * message cut at MAX_TEXT characters.
 */
export const MAX_ERRORS = 20;
const MAX_TEXT = 200;
const KEYS_NAMED = 5;

const clip = (text: string) => (text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT - 1)}…` : text);

/**
 * zod's own message for unknown keys names every one of them (a megabyte for a megabyte of keys),
 * and is built as the input is checked; this one names a few. Other issues keep their messages.
 */
const briefly: z.core.$ZodErrorMap = (issue) => {
  if (issue.code !== 'unrecognized_keys') return undefined;
  const named = issue.keys.slice(0, KEYS_NAMED).map((key) => JSON.stringify(key.length > 40 ? `${key.slice(0, 39)}…` : key));
  const more = issue.keys.length - named.length;
  return `Unrecognized key${issue.keys.length > 1 ? 's' : ''}: ${named.join(', ')}${more > 0 ? ` and ${more} more` : ''}`;
};

/** Parses untrusted input with a shared schema; a mismatch is a 400 naming the bad fields (a bounded list). */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, what = 'request'): z.output<S> {
  const result = schema.safeParse(value, { error: briefly });
  if (result.success) return result.data;
  const { issues } = result.error;
  const errors: FieldError[] = issues.slice(0, MAX_ERRORS).map((issue) => ({
    path: clip(issue.path.map(String).join('.')),
    message: clip(issue.message),
  }));
  const detail =
    issues.length > MAX_ERRORS ? `The ${what} is not valid: ${issues.length} problems, the first ${MAX_ERRORS} listed.` : `The ${what} is not valid.`;
  throw new AppError('validation_failed', detail, { errors });
}
