import { z } from 'zod';
import { DATE_PATTERN } from '../time.js';

/** Positive 32-bit integer ids, as in Postgres `integer` identity columns. */
export const MAX_ID = 2_147_483_647;

export const Id = z.number().int().min(1).max(MAX_ID).meta({ description: 'A positive 32-bit integer id' });

/**
 * A whole number as it arrives in a path or query string: only plain digits become a number, so
 * `1e3`, ` 7`, `0x10` or a repeated parameter are refused. The number, not its string form, is
 * what the OpenAPI document shows (an integer with its bounds): a preprocess step is documented
 * by the schema it feeds.
 */
const digitsParam = (digits: RegExp, min: number, max: number, message: string, documentedDefault?: number) => {
  const int = z.int({ error: message }).min(min, message).max(max, message);
  // A default is stated on the integer itself: zod leaves `.default()` out of a documented input.
  return z.preprocess((v) => (typeof v === 'string' && digits.test(v) ? Number(v) : v), documentedDefault === undefined ? int : int.meta({ default: documentedDefault }));
};

/** An id in a path or query string. */
export const IdParam = digitsParam(/^[1-9][0-9]{0,9}$/, 1, MAX_ID, 'must be a positive integer id').meta({
  description: 'A positive 32-bit integer id',
});

export const Instant = z.iso
  .datetime({ offset: true })
  .meta({ description: 'An instant, ISO 8601 (responses: UTC with milliseconds)', example: '2026-11-30T09:00:00.000Z' });

/**
 * Dates the API takes lie in the years 1900 to 9998, instants in 1900 to 9999. Below 100,
 * JavaScript reads a year back from Postgres's text as 19xx; before 1900 zones ran on local mean
 * time; and a week that starts in 9998 still ends, with its last overnight shift, inside the
 * four-digit years that ISO 8601 strings and Postgres's input both need.
 */
export const MIN_YEAR = 1900;
export const MAX_DATE_YEAR = 9998;
export const MAX_INSTANT_YEAR = 9999;
const yearsWithin = (min: number, max: number) => (d: Date) => d.getUTCFullYear() >= min && d.getUTCFullYear() <= max;
const yearsMessage = (min: number, max: number) => `must be between the years ${min} and ${max}`;

const isCalendarDate = (v: string) => {
  const d = new Date(`${v}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(v);
};
const dateWithin = (min: number, max: number) =>
  z
    .string()
    .regex(DATE_PATTERN, 'must be a date YYYY-MM-DD')
    .refine(isCalendarDate, 'must be a real calendar date')
    .refine((v) => yearsWithin(min, max)(new Date(`${v}T00:00:00Z`)), yearsMessage(min, max));
const instantWithin = (min: number, max: number) =>
  z.iso.datetime({ offset: true }).refine((v) => yearsWithin(min, max)(new Date(v)), yearsMessage(min, max));

export const CalendarDate = dateWithin(MIN_YEAR, MAX_DATE_YEAR).meta({
  description: `A calendar date, YYYY-MM-DD, in the years ${MIN_YEAR} to ${MAX_DATE_YEAR}`,
  example: '2026-11-30',
});

/** An instant as a client sends it: ISO 8601 with an offset (`Z` or `+01:00`), in the years MIN_YEAR to MAX_INSTANT_YEAR. */
export const InstantInput = instantWithin(MIN_YEAR, MAX_INSTANT_YEAR).meta({
  description: `An instant, ISO 8601 with an offset, in the years ${MIN_YEAR} to ${MAX_INSTANT_YEAR}`,
  example: '2026-11-30T09:00:00.000Z',
});

/**
 * A date or instant inside a cursor: whatever a stored row can hold (Postgres has no year 0 and
 * takes four-digit years), so a cursor the server issued for an older row still pages on.
 */
export const StoredDate = dateWithin(1, 9999);
export const StoredInstant = instantWithin(1, 9999);

/**
 * Text Postgres stores as sent: it refuses NUL characters outright, and an unpaired surrogate
 * would silently come back as U+FFFD. (With the `u` flag a proper surrogate pair is one code
 * point, so `\p{Cs}` matches only unpaired halves.)
 */
const UNSTORABLE = /[\u0000\p{Cs}]/u;
export const storableText = (v: string) => !UNSTORABLE.test(v);
const UNSTORABLE_MESSAGE = 'must not contain NUL characters or unpaired surrogates';

/** Trimmed, non-empty, bounded text. */
export const Text = (max: number) =>
  z.string().trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`).refine(storableText, UNSTORABLE_MESSAGE);

/** Optional text that may be cleared with null; an empty string also clears it. */
export const NullableText = (max: number) =>
  z
    .string()
    .trim()
    .max(max, `must be at most ${max} characters`)
    .refine(storableText, UNSTORABLE_MESSAGE)
    .transform((v) => (v === '' ? null : v))
    .nullable();

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 200;
export const Limit = digitsParam(/^[0-9]{1,3}$/, 1, MAX_LIMIT, `must be a whole number from 1 to ${MAX_LIMIT}`, DEFAULT_LIMIT)
  .default(DEFAULT_LIMIT)
  .meta({ description: `Items per page, 1 to ${MAX_LIMIT} (default ${DEFAULT_LIMIT}); anything else is a 400` });

export const Cursor = z.string().min(1).max(2048).regex(/^[A-Za-z0-9_-]+$/, 'is not a cursor this API issued');

export const BooleanParam = z.enum(['true', 'false']).transform((v) => v === 'true');

export const Page = <T extends z.ZodType>(item: T) =>
  z.strictObject({
    items: z.array(item),
    nextCursor: z.string().nullable().meta({ description: 'Pass as `cursor` for the next page; null on the last page' }),
  });
