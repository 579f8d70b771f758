import { z } from 'zod';
import { isMonday } from '../time.js';
import { CalendarDate, Cursor, Id, IdParam, Instant, InstantInput as InstantString, Limit, NullableText, StoredDate, Text } from './common.js';

export const SCHEDULE_STATUSES = ['draft', 'published'] as const;
export const ScheduleStatus = z.enum(SCHEDULE_STATUSES);

/** A revision number (API.md, `version`): starts at 1, up by one with every change. */
const Version = z.number().int().positive().meta({ description: 'Up by one with every change; send it back as If-Match: "<version>"' });

/** The longest shift the API accepts: exactly 16 hours is allowed. */
export const MAX_SHIFT_MS = 16 * 3600_000;

export const Shift = z
  .strictObject({
    id: Id,
    scheduleId: Id,
    userId: Id.nullable().meta({ description: 'null: an open shift anyone of the location may take' }),
    userName: z.string().nullable(),
    position: z.string(),
    startsAt: Instant,
    endsAt: Instant,
    notes: z.string().nullable(),
    version: Version,
  })
  .meta({ id: 'Shift' });
export type Shift = z.infer<typeof Shift>;

/** A shift in a person's own list, with the location whose time zone it is shown in. */
export const UserShift = Shift.extend({ locationId: Id }).meta({ id: 'UserShift' });
export type UserShift = z.infer<typeof UserShift>;

const scheduleFields = {
  id: Id,
  locationId: Id,
  // As stored: a response never refuses a row the bounds on input came after.
  weekStart: StoredDate.meta({ description: 'The Monday the week starts on, in the location time zone' }),
  status: ScheduleStatus,
  publishedAt: Instant.nullable(),
  version: Version.meta({
    description: 'The revision of the week: up by one with every change to it or to one of its shifts; send it back as If-Match',
  }),
  createdAt: Instant,
  updatedAt: Instant,
};

export const Schedule = z.strictObject({ ...scheduleFields, shifts: z.array(Shift) }).meta({ id: 'Schedule' });
export type Schedule = z.infer<typeof Schedule>;

export const ScheduleSummary = z.strictObject({ ...scheduleFields, shiftCount: z.number().int().min(0) }).meta({ id: 'ScheduleSummary' });
export type ScheduleSummary = z.infer<typeof ScheduleSummary>;

export const SkippedShift = z
  .strictObject({
    shiftId: Id,
    reason: z.enum(['overlap', 'inactive_user', 'not_member', 'too_long']),
    conflicts: z.array(Id).meta({ description: 'With reason overlap: the shifts in the way' }),
  })
  .meta({ id: 'SkippedShift' });

export const CreatedSchedule = z.strictObject({ ...scheduleFields, shifts: z.array(Shift), skipped: z.array(SkippedShift) }).meta({ id: 'CreatedSchedule' });

const Monday = CalendarDate.refine(isMonday, 'must be a Monday');

export const CreateScheduleBody = z
  .strictObject({ locationId: Id, weekStart: Monday, copyFromScheduleId: Id.optional() })
  .meta({ id: 'CreateScheduleBody' });
export type CreateScheduleBody = z.infer<typeof CreateScheduleBody>;

export const PatchScheduleBody = z.strictObject({ status: ScheduleStatus }).meta({ id: 'PatchScheduleBody' });

export const ScheduleListQuery = z.strictObject({
  locationId: IdParam.optional(),
  from: CalendarDate.optional().meta({ description: 'Only weeks starting on or after this date' }),
  to: CalendarDate.optional().meta({ description: 'Only weeks starting on or before this date' }),
  status: ScheduleStatus.optional(),
  limit: Limit,
  cursor: Cursor.optional(),
});
export type ScheduleListQuery = z.infer<typeof ScheduleListQuery>;

const InstantInput = InstantString.transform((v) => new Date(v));

export const CreateShiftBody = z
  .strictObject({
    userId: Id.nullable().optional(),
    position: Text(80),
    startsAt: InstantInput,
    endsAt: InstantInput,
    notes: NullableText(1000).optional(),
  })
  .meta({ id: 'CreateShiftBody' });
export type CreateShiftBody = z.infer<typeof CreateShiftBody>;

export const PatchShiftBody = z
  .strictObject({
    userId: Id.nullable().optional(),
    position: Text(80).optional(),
    startsAt: InstantInput.optional(),
    endsAt: InstantInput.optional(),
    notes: NullableText(1000).optional(),
  })
  .refine((v) => Object.keys(v).length > 0, { message: 'send at least one field to change' })
  .meta({ id: 'PatchShiftBody' });
export type PatchShiftBody = z.infer<typeof PatchShiftBody>;

export const UserShiftsQuery = z.strictObject({
  from: InstantString.or(CalendarDate)
    .optional()
    .meta({ description: 'Only shifts ending after this instant; a bare date means its midnight UTC' }),
  to: InstantString.or(CalendarDate)
    .optional()
    .meta({ description: 'Only shifts starting before this instant; a bare date means its midnight UTC' }),
  limit: Limit,
  cursor: Cursor.optional(),
});
export type UserShiftsQuery = z.infer<typeof UserShiftsQuery>;

export const IdPath = z.strictObject({ id: IdParam });
export const ShiftPath = z.strictObject({ id: IdParam, shiftId: IdParam });
/** A location's week: `/locations/:id/weeks/:weekStart`. */
export const WeekPath = z.strictObject({ id: IdParam, weekStart: Monday });

/**
 * A location's week as the planner opens it: its schedule (null while there is none, or one the
 * caller may not see yet: a draft, for crew) and the previous week's summary, which a new week
 * can be copied from.
 */
export const LocationWeek = z
  .strictObject({
    weekStart: StoredDate,
    schedule: Schedule.nullable(),
    previous: ScheduleSummary.nullable(),
  })
  .meta({ id: 'LocationWeek' });
export type LocationWeek = z.infer<typeof LocationWeek>;
