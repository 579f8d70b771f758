import { sql } from 'drizzle-orm';
import {
  type AnyPgColumn,
  boolean,
  check,
  date,
  index,
  integer,
  numeric,
  pgEnum,
  pgTable,
  primaryKey,
  smallint,
  text,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import { instant } from './instant.js';

/**
 * The tables. Instants are timestamptz with millisecond precision, the precision the API speaks,
 * so a value read from Postgres and the same value read back from the cache print identically.
 * The exclusion constraint that keeps one user's shifts apart is not expressible here; it lives
 * in the hand-written migration `0001_shift_overlap.sql`.
 */

const createdAt = () => instant('created_at').notNull().default(sql`now()`);
const updatedAt = () => instant('updated_at').notNull().default(sql`now()`);

/**
 * The revision of a schedule or shift (API.md, `version`; If-Match compares it) and who made it,
 * for the 412 that tells a stale writer whose change they missed. Null for rows written outside
 * the API (demo data, imports) and once that person is gone.
 */
const revision = () => ({
  version: integer('version').notNull().default(1),
  updatedBy: integer('updated_by').references((): AnyPgColumn => users.id, { onDelete: 'set null' }),
});

export const userRole = pgEnum('user_role', ['admin', 'manager', 'crew']);
export const scheduleStatus = pgEnum('schedule_status', ['draft', 'published']);

export const users = pgTable(
  'users',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    email: text('email').notNull(),
    name: text('name').notNull(),
    role: userRole('role').notNull(),
    passwordHash: text('password_hash').notNull(),
    phone: text('phone'),
    active: boolean('active').notNull().default(true),
    /** What an hour of this person's work costs, in the deployment's CURRENCY (migration 0004). */
    hourlyRate: numeric('hourly_rate', { precision: 7, scale: 2 }),
    maxWeeklyHours: numeric('max_weekly_hours', { precision: 5, scale: 2 }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('users_email_lower_key').on(sql`lower(${t.email})`),
    index('users_name_idx').on(t.name),
    check('users_hourly_rate_range', sql`${t.hourlyRate} >= 0 and ${t.hourlyRate} <= 10000`),
    check('users_max_weekly_hours_range', sql`${t.maxWeeklyHours} > 0 and ${t.maxWeeklyHours} <= 168`),
  ],
);

export const locations = pgTable('locations', {
  id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
  name: text('name').notNull(),
  address: text('address'),
  timezone: text('timezone').notNull(),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

export const locationMembers = pgTable(
  'location_members',
  {
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    locationId: integer('location_id')
      .notNull()
      .references(() => locations.id, { onDelete: 'cascade' }),
    position: text('position'),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.locationId] }), index('location_members_location_idx').on(t.locationId)],
);

export const schedules = pgTable(
  'schedules',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    locationId: integer('location_id')
      .notNull()
      .references(() => locations.id, { onDelete: 'restrict' }),
    weekStart: date('week_start', { mode: 'string' }).notNull(),
    status: scheduleStatus('status').notNull().default('draft'),
    publishedAt: instant('published_at'),
    ...revision(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('schedules_location_week_key').on(t.locationId, t.weekStart),
    index('schedules_week_idx').on(t.weekStart),
    check('schedules_version_positive', sql`${t.version} > 0`),
    check('schedules_week_start_monday', sql`extract(isodow from ${t.weekStart}) = 1`),
    check(
      'schedules_published_at_matches_status',
      sql`(${t.status} = 'published') = (${t.publishedAt} is not null)`,
    ),
  ],
);

export const shifts = pgTable(
  'shifts',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    scheduleId: integer('schedule_id')
      .notNull()
      .references(() => schedules.id, { onDelete: 'cascade' }),
    userId: integer('user_id').references(() => users.id, { onDelete: 'restrict' }),
    position: text('position').notNull(),
    startsAt: instant('starts_at').notNull(),
    endsAt: instant('ends_at').notNull(),
    notes: text('notes'),
    ...revision(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('shifts_schedule_starts_idx').on(t.scheduleId, t.startsAt),
    index('shifts_user_starts_idx').on(t.userId, t.startsAt),
    check('shifts_version_positive', sql`${t.version} > 0`),
    check('shifts_ends_after_starts', sql`${t.endsAt} > ${t.startsAt}`),
    check('shifts_at_most_16_hours', sql`${t.endsAt} - ${t.startsAt} <= interval '16 hours'`),
  ],
);

export const timeOffStatus = pgEnum('time_off_status', ['pending', 'approved', 'denied']);

/**
 * The hours a person cannot work, each week: minutes after local midnight on an ISO weekday
 * (Monday = 1), read in the zone of whichever location a shift is at.
 */
export const availability = pgTable(
  'availability',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    weekday: smallint('weekday').notNull(),
    fromMinute: smallint('from_minute').notNull(),
    toMinute: smallint('to_minute').notNull(),
  },
  (t) => [
    index('availability_user_idx').on(t.userId, t.weekday),
    check('availability_weekday_range', sql`${t.weekday} between 1 and 7`),
    check('availability_window', sql`${t.fromMinute} >= 0 and ${t.fromMinute} < ${t.toMinute} and ${t.toMinute} <= 1440`),
  ],
);

/** Days off, inclusive, as calendar dates read in the zone of whichever location a shift is at. */
export const timeOff = pgTable(
  'time_off',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    startsOn: date('starts_on', { mode: 'string' }).notNull(),
    endsOn: date('ends_on', { mode: 'string' }).notNull(),
    status: timeOffStatus('status').notNull().default('pending'),
    note: text('note'),
    createdBy: integer('created_by').references((): AnyPgColumn => users.id, { onDelete: 'set null' }),
    decidedBy: integer('decided_by').references((): AnyPgColumn => users.id, { onDelete: 'set null' }),
    decidedAt: instant('decided_at'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('time_off_user_starts_idx').on(t.userId, t.startsOn),
    index('time_off_status_starts_idx').on(t.status, t.startsOn),
    check('time_off_dates', sql`${t.endsOn} >= ${t.startsOn} and ${t.endsOn} - ${t.startsOn} < 366`),
  ],
);

/**
 * A person's calendar feed (API.md, "calendar"): the SHA-256 of its secret token, never the token.
 * One per person; a new one replaces the old, which then answers 404.
 */
export const calendarFeeds = pgTable(
  'calendar_feeds',
  {
    userId: integer('user_id')
      .primaryKey()
      .references(() => users.id, { onDelete: 'cascade' }),
    tokenHash: text('token_hash').notNull(),
    createdAt: createdAt(),
  },
  (t) => [check('calendar_feeds_token_hash_sha256', sql`${t.tokenHash} ~ '^[0-9a-f]{64}$'`)],
);

export type UserRow = typeof users.$inferSelect;
export type LocationRow = typeof locations.$inferSelect;
export type ScheduleRow = typeof schedules.$inferSelect;
export type ShiftRow = typeof shifts.$inferSelect;
export type TimeOffRow = typeof timeOff.$inferSelect;
