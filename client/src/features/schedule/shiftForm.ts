import { MAX_SHIFT_MS } from '../../../../shared/schemas/schedules.js';
import type { Shift } from '../../api/types.js';
import { localDate, localInstant, timeValue, weekDates } from '../../lib/time.js';

export interface ShiftFormValues {
  /** '' for an open shift, else the user id. */
  userId: string;
  position: string;
  /** A date of the schedule's week. */
  date: string;
  start: string;
  end: string;
  notes: string;
}

export type ShiftFormErrors = Partial<Record<keyof ShiftFormValues, string>>;

export function valuesFromShift(shift: Shift, zone: string): ShiftFormValues {
  return {
    userId: shift.userId === null ? '' : String(shift.userId),
    position: shift.position,
    date: localDate(shift.startsAt, zone),
    start: timeValue(shift.startsAt, zone),
    end: timeValue(shift.endsAt, zone),
    notes: shift.notes ?? '',
  };
}

export function blankValues(userId: number | null, date: string, position: string): ShiftFormValues {
  return { userId: userId === null ? '' : String(userId), position, date, start: '09:00', end: '17:00', notes: '' };
}

/** An end at or before the start is on the next day: that is how overnight shifts are entered. */
export const endsNextDay = (v: Pick<ShiftFormValues, 'start' | 'end'>) => Boolean(v.start && v.end && v.end <= v.start);

/** The shift's instants: wall-clock times at the location, on the chosen day (and the next one). */
export function instants(v: ShiftFormValues, weekStart: string, zone: string): { startsAt: string; endsAt: string } {
  const day = weekDates(weekStart).indexOf(v.date);
  return {
    startsAt: localInstant(weekStart, day, v.start, zone).toISOString(),
    endsAt: localInstant(weekStart, day + (endsNextDay(v) ? 1 : 0), v.end, zone).toISOString(),
  };
}

export function lengthMs(v: ShiftFormValues, weekStart: string, zone: string): number | null {
  if (!v.start || !v.end || !v.date) return null;
  const { startsAt, endsAt } = instants(v, weekStart, zone);
  return Date.parse(endsAt) - Date.parse(startsAt);
}

/** The checks worth making before a round trip; the server makes them all again. */
export function validate(v: ShiftFormValues, weekStart: string, zone: string): ShiftFormErrors {
  const errors: ShiftFormErrors = {};
  if (!v.position.trim()) errors.position = 'Enter a position, such as Bartender.';
  if (!v.start) errors.start = 'Enter a start time.';
  if (!v.end) errors.end = 'Enter an end time.';
  const length = lengthMs(v, weekStart, zone);
  if (length !== null && length > MAX_SHIFT_MS) errors.end = 'A shift can be at most 16 hours long.';
  return errors;
}

export function toBody(v: ShiftFormValues, weekStart: string, zone: string) {
  return {
    userId: v.userId ? Number(v.userId) : null,
    position: v.position.trim(),
    ...instants(v, weekStart, zone),
    notes: v.notes.trim() || null,
  };
}

/** Where the server's field errors belong in this form. */
export const SERVER_FIELDS: Record<string, keyof ShiftFormValues> = {
  userId: 'userId',
  position: 'position',
  startsAt: 'start',
  endsAt: 'end',
  notes: 'notes',
};
