import { DateTime, IANAZone } from 'luxon';

/**
 * Calendar arithmetic in a location's own time zone. A schedule's week runs from Monday 00:00 to
 * the next Monday 00:00 local time, so across a daylight-saving change it is 167 or 169 hours.
 * All zone rules come from the platform's Intl data through luxon; no offset is computed by hand.
 */

export const DATE_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

/** Zone names are letters first (`Europe/Amsterdam`, `Etc/GMT+5`, `UTC`); no offsets like `+01:00`. */
const ZONE_NAME = /^[A-Za-z][A-Za-z0-9_+\-/]*$/;

/**
 * True for an IANA time zone the platform knows. luxon's own zone parser also takes `local`,
 * `system` and `UTC+5`, which name no IANA zone (and `system` would follow the server's clock).
 */
export function isValidTimeZone(zone: string): boolean {
  return ZONE_NAME.test(zone) && IANAZone.isValidZone(zone);
}

/** True for a real calendar date (`2026-02-30` is not) that falls on a Monday. */
export function isMonday(date: string): boolean {
  const d = DateTime.fromISO(date, { zone: 'UTC' });
  return DATE_PATTERN.test(date) && d.isValid && d.weekday === 1;
}

/** The instants bounding the week that starts on `weekStart` (a Monday) in `zone`: [start, end). */
export function weekBounds(weekStart: string, zone: string): { start: Date; end: Date } {
  const start = DateTime.fromISO(weekStart, { zone }).startOf('day');
  return { start: start.toJSDate(), end: start.plus({ weeks: 1 }).toJSDate() };
}

/** The Monday (YYYY-MM-DD) of the week containing `instant`, as seen in `zone`. */
export function mondayOf(instant: Date, zone: string): string {
  return DateTime.fromJSDate(instant, { zone }).startOf('week').toISODate() as string;
}

/** `weekStart` moved by a number of weeks (calendar arithmetic, not 168-hour steps). */
export function addWeeks(weekStart: string, weeks: number): string {
  return DateTime.fromISO(weekStart, { zone: 'UTC' }).plus({ weeks }).toISODate() as string;
}

/**
 * The instant at a local wall-clock time, `dayOffset` days after `weekStart`. A time that does
 * not exist locally (inside a spring-forward gap) moves forward by the gap, as clocks do.
 */
export function localInstant(weekStart: string, dayOffset: number, time: string, zone: string): Date {
  const [hour, minute] = time.split(':').map(Number);
  return DateTime.fromISO(weekStart, { zone })
    .plus({ days: dayOffset })
    .set({ hour, minute, second: 0, millisecond: 0 })
    .toJSDate();
}
