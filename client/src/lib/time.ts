import { DateTime } from 'luxon';
import { addWeeks, isMonday, localInstant, mondayOf } from '../../../shared/time.js';
import { currentZoneName } from './zones.js';

/**
 * Dates and times as the people at a location read them: always in the location's own zone,
 * whatever zone the device is in, and in the device's language.
 */

export { addWeeks, isMonday, localInstant, mondayOf };

export const inZone = (instant: string, zone: string) => DateTime.fromISO(instant, { zone });

/** The calendar date (YYYY-MM-DD) an instant falls on at the location. */
export const localDate = (instant: string, zone: string) => inZone(instant, zone).toISODate() as string;

/** The seven dates of the week starting on `weekStart`. */
export function weekDates(weekStart: string): string[] {
  const monday = DateTime.fromISO(weekStart, { zone: 'UTC' });
  return Array.from({ length: 7 }, (_, i) => monday.plus({ days: i }).toISODate() as string);
}

export const thisMonday = (zone: string) => mondayOf(new Date(), zone);

export function formatTime(instant: string, zone: string): string {
  return inZone(instant, zone).toLocaleString(DateTime.TIME_SIMPLE);
}

/** The number of calendar days between a shift's start and its end at the location (overnight: 1). */
export function daysSpanned(startsAt: string, endsAt: string, zone: string): number {
  const start = inZone(startsAt, zone).startOf('day');
  const end = inZone(endsAt, zone).startOf('day');
  return Math.round(end.diff(start, 'days').days);
}

export function formatRange(startsAt: string, endsAt: string, zone: string): string {
  return `${formatTime(startsAt, zone)} – ${formatTime(endsAt, zone)}`;
}

export function hoursBetween(startsAt: string, endsAt: string): number {
  return (Date.parse(endsAt) - Date.parse(startsAt)) / 3_600_000;
}

export function formatHours(hours: number): string {
  return `${Number(hours.toFixed(2))} h`;
}

/** "Mon 30 Nov" style, for grid columns. */
export function formatDayShort(date: string): string {
  return DateTime.fromISO(date).toLocaleString({ weekday: 'short', day: 'numeric', month: 'short' });
}

/** "Monday 30 November" style, for day headings. */
export function formatDayLong(date: string): string {
  return DateTime.fromISO(date).toLocaleString({ weekday: 'long', day: 'numeric', month: 'long' });
}

/** "30 Nov – 6 Dec 2026". */
export function formatWeek(weekStart: string): string {
  const start = DateTime.fromISO(weekStart);
  const end = start.plus({ days: 6 });
  const sameYear = start.year === end.year;
  const left = start.toLocaleString(sameYear ? { day: 'numeric', month: 'short' } : DateTime.DATE_MED);
  return `${left} – ${end.toLocaleString(DateTime.DATE_MED)}`;
}

export function formatInstant(instant: string, zone: string): string {
  return inZone(instant, zone).toLocaleString(DateTime.DATETIME_MED);
}

/** `HH:mm` at the location, for time inputs. */
export const timeValue = (instant: string, zone: string) => inZone(instant, zone).toFormat('HH:mm');

/** The zone's short name at an instant ("CET", "GMT+11"), to say which clock a time is on. */
export function zoneAbbreviation(zone: string, at: string = new Date().toISOString()): string {
  return inZone(at, zone).toFormat('ZZZZ');
}

/** The device's zone, by its current name (browsers may report Europe/Kiev for Europe/Kyiv). */
export const deviceZone = () => currentZoneName(DateTime.local().zoneName);
