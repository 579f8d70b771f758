import { sql } from 'drizzle-orm';
import {
  type AnyPgColumn,
  boolean,
  check,
  date,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  primaryKey,
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
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('users_email_lower_key').on(sql`lower(${t.email})`),
    index('users_name_idx').on(t.name),
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

export const shiftRequestKind = pgEnum('shift_request_kind', ['drop', 'swap']);
export const shiftRequestStatus = pgEnum('shift_request_status', ['pending', 'accepted', 'approved', 'denied', 'declined', 'cancelled', 'expired']);

/**
 * A crew member's request to drop a shift (it becomes open) or to hand it to a colleague (a swap),
 * decided by a manager (migration 0005, docs/decisions/027). At most one undecided request per shift.
 */
export const shiftRequests = pgTable(
  'shift_requests',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    shiftId: integer('shift_id')
      .notNull()
      .references(() => shifts.id, { onDelete: 'cascade' }),
    kind: shiftRequestKind('kind').notNull(),
    status: shiftRequestStatus('status').notNull().default('pending'),
    requesterId: integer('requester_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    toUserId: integer('to_user_id').references(() => users.id, { onDelete: 'cascade' }),
    note: text('note'),
    decidedBy: integer('decided_by').references(() => users.id, { onDelete: 'set null' }),
    decidedAt: instant('decided_at'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('shift_requests_one_open_per_shift').on(t.shiftId).where(sql`${t.status} in ('pending', 'accepted')`),
    index('shift_requests_requester_idx').on(t.requesterId),
    index('shift_requests_to_user_idx').on(t.toUserId),
    index('shift_requests_open_idx').on(t.status).where(sql`${t.status} in ('pending', 'accepted')`),
    check('shift_requests_swap_has_colleague', sql`(${t.kind} = 'swap') = (${t.toUserId} is not null)`),
    check('shift_requests_not_to_oneself', sql`${t.toUserId} <> ${t.requesterId}`),
  ],
);

/** A person's inbox (API.md, Notification). Kept 30 days: older rows are swept by the server. */
export const notifications = pgTable(
  'notifications',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    kind: text('kind').notNull(),
    title: text('title').notNull(),
    body: text('body').notNull(),
    link: text('link').notNull(),
    readAt: instant('read_at'),
    createdAt: createdAt(),
  },
  (t) => [
    index('notifications_user_idx').on(t.userId, t.id),
    index('notifications_unread_idx').on(t.userId).where(sql`${t.readAt} is null`),
    index('notifications_created_idx').on(t.createdAt),
  ],
);

/** A week's shifts as they were when it was last published: what GET /api/schedules/:id/changes compares with. */
export const schedulePublications = pgTable('schedule_publications', {
  scheduleId: integer('schedule_id')
    .primaryKey()
    .references(() => schedules.id, { onDelete: 'cascade' }),
  publishedAt: instant('published_at').notNull().default(sql`now()`),
  shifts: jsonb('shifts').notNull(),
});

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
export type ShiftRequestRow = typeof shiftRequests.$inferSelect;
export type NotificationRow = typeof notifications.$inferSelect;
