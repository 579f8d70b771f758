import { z } from 'zod';
import { CalendarDate, Cursor, Id, IdParam, Instant, Limit, NullableText, StoredDate } from './common.js';
import { Shift } from './schedules.js';

/**
 * Availability, time off, warnings and labor (API.md, "Availability, time off, warnings, labor").
 * Dates and wall-clock hours here mean nothing until they meet a location: they are read in the
 * zone of whichever location a shift is at.
 */

/** The most an hour of anyone's work may cost: anything above is a typing mistake. */
export const MAX_HOURLY_RATE = 10_000;
/** A time-off request covers at most this many days (inclusive). */
export const MAX_TIME_OFF_DAYS = 366;

const DECIMAL = /^\d{1,5}(\.\d{1,2})?$/;

/** Why a rate as sent is refused, or undefined when it is one: one reason, the first that applies. */
function rateProblem(v: string): string | undefined {
  if (v.startsWith('-')) return 'must not be negative';
  if (!/^\d+(\.\d+)?$/.test(v)) return 'must be a decimal such as "15.50"';
  if (Number(v) > MAX_HOURLY_RATE) return `must be at most ${MAX_HOURLY_RATE} an hour`;
  if (!DECIMAL.test(v)) return 'must have at most two decimals';
  return undefined;
}

/** `"15.50"` (or 15.5): 0 to 10,000 with at most two decimals, answered as a two-decimal string. */
export const HourlyRateInput = z
  .preprocess(
    (v) => (typeof v === 'number' && Number.isFinite(v) ? String(v) : v),
    z
      .string({ error: 'must be a decimal such as "15.50"' })
      .trim()
      .superRefine((v, ctx) => {
        const problem = rateProblem(v);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      })
      .transform((v) => Number(v).toFixed(2)),
  )
  .nullable()
  .meta({ description: `What an hour of work costs, a decimal in the deployment's currency, 0 to ${MAX_HOURLY_RATE}; null: unknown` });

export const MaxWeeklyHoursInput = z
  .number({ error: 'must be a number of hours' })
  .gt(0, 'must be more than 0')
  .max(168, 'must be at most 168 (a week)')
  .refine((v) => Number.isInteger(v * 4), 'must be a whole number of quarter hours')
  .nullable()
  .meta({ description: 'Hours a week above which the person works overtime, across all locations; null: no limit' });

// ---- availability -------------------------------------------------------------------------------

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$|^24:00$/;
/** Minutes after midnight of `HH:MM` (`24:00` is 1440). */
export const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
export const hhmmOf = (minutes: number) => `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;

export const Weekday = z
  .int({ error: 'must be a whole number from 1 (Monday) to 7 (Sunday)' })
  .min(1, 'must be from 1 (Monday) to 7 (Sunday)')
  .max(7, 'must be from 1 (Monday) to 7 (Sunday)');

const WallClock = z.string().regex(HHMM, 'must be a time HH:MM from 00:00 to 24:00');

export const UnavailableWindow = z
  .strictObject({ weekday: Weekday, from: WallClock, to: WallClock })
  .refine((w) => !HHMM.test(w.from) || !HHMM.test(w.to) || minutesOf(w.from) < minutesOf(w.to), {
    message: 'must be after from',
    path: ['to'],
  })
  .meta({ id: 'UnavailableWindow', description: 'Hours of one weekday (Monday = 1) the person cannot work, local wall-clock time, [from, to)' });
export type UnavailableWindow = z.infer<typeof UnavailableWindow>;

export const Availability = z
  .strictObject({ unavailable: z.array(UnavailableWindow).max(70, 'at most 70 windows') })
  .meta({ id: 'Availability', description: 'The hours a person cannot work each week, by weekday and start' });
export type Availability = z.infer<typeof Availability>;

// ---- time off -----------------------------------------------------------------------------------

export const TIME_OFF_STATUSES = ['pending', 'approved', 'denied'] as const;
export const TimeOffStatus = z.enum(TIME_OFF_STATUSES);
export type TimeOffStatus = z.infer<typeof TimeOffStatus>;

export const TimeOff = z
  .strictObject({
    id: Id,
    userId: Id,
    userName: z.string(),
    startsOn: StoredDate,
    endsOn: StoredDate,
    status: TimeOffStatus,
    note: z.string().nullable(),
    decidedBy: Id.nullable(),
    decidedAt: Instant.nullable(),
    createdAt: Instant,
    updatedAt: Instant,
  })
  .meta({ id: 'TimeOff', description: 'Days off, inclusive; pending until a manager approves or denies it' });
export type TimeOff = z.infer<typeof TimeOff>;

/** Whole days from `a` to `b` (dates). */
export const daysBetween = (a: string, b: string) => Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / 86_400_000);

export const CreateTimeOffBody = z
  .strictObject({
    userId: Id.optional().meta({ description: 'Whose time off; default: the caller' }),
    startsOn: CalendarDate,
    endsOn: CalendarDate,
    note: NullableText(500).optional(),
  })
  .superRefine((v, ctx) => {
    // Each date refused on its own says so already.
    if (!CalendarDate.safeParse(v.startsOn).success || !CalendarDate.safeParse(v.endsOn).success) return;
    const days = daysBetween(v.startsOn, v.endsOn);
    if (days < 0) ctx.addIssue({ code: 'custom', path: ['endsOn'], message: 'must be on or after startsOn' });
    else if (days + 1 > MAX_TIME_OFF_DAYS) ctx.addIssue({ code: 'custom', path: ['endsOn'], message: `time off lasts at most ${MAX_TIME_OFF_DAYS} days` });
  })
  .meta({ id: 'CreateTimeOffBody' });
export type CreateTimeOffBody = z.infer<typeof CreateTimeOffBody>;

export const DecideTimeOffBody = z.strictObject({ status: z.enum(['approved', 'denied']) }).meta({ id: 'DecideTimeOffBody' });

export const TimeOffListQuery = z.strictObject({
  userId: IdParam.optional(),
  locationId: IdParam.optional().meta({ description: 'Only people who work at this location' }),
  status: TimeOffStatus.optional(),
  from: CalendarDate.optional().meta({ description: 'Only time off ending on or after this date' }),
  to: CalendarDate.optional().meta({ description: 'Only time off starting on or before this date' }),
  limit: Limit,
  cursor: Cursor.optional(),
});
export type TimeOffListQuery = z.infer<typeof TimeOffListQuery>;

// ---- warnings and labor ---------------------------------------------------------------------------

export const WARNING_CODES = ['time_off', 'time_off_pending', 'unavailable', 'short_rest', 'over_hours', 'other_location'] as const;
export const WarningCode = z.enum(WARNING_CODES);
export type WarningCode = z.infer<typeof WarningCode>;

export const Warning = z
  .strictObject({ shiftId: Id, userId: Id, code: WarningCode, detail: z.string() })
  .meta({ id: 'Warning', description: 'Something a manager should know about a shift; it never stops a save' });
export type Warning = z.infer<typeof Warning>;

export const Warnings = z.strictObject({ items: z.array(Warning) }).meta({ id: 'Warnings' });
export type Warnings = z.infer<typeof Warnings>;

const Hours = z.number().min(0).meta({ description: 'Hours, to two decimals' });
const Money = z.string().regex(/^\d+\.\d\d$/).meta({ description: 'An amount in `currency`, two decimals' });

export const Labor = z
  .strictObject({
    currency: z.string(),
    hours: Hours,
    cost: Money,
    byUser: z.array(z.strictObject({ userId: Id, hours: Hours, cost: Money, overtimeHours: Hours })),
    byDay: z.array(z.strictObject({ date: StoredDate, hours: Hours, cost: Money })),
  })
  .meta({ id: 'Labor', description: "Hours and cost of a week's assigned shifts; open shifts count in hours, not cost" });
export type Labor = z.infer<typeof Labor>;

export const TimeOffPath = z.strictObject({ id: IdParam });

/** A shift as a create or change answers it: with the codes of its warnings (a save never fails for one). */
export const SavedShift = Shift.extend({
  warnings: z.array(WarningCode).meta({ description: 'The codes of this shift’s warnings (GET /api/schedules/{id}/warnings has the details)' }),
}).meta({ id: 'SavedShift' });
export type SavedShift = z.infer<typeof SavedShift>;
