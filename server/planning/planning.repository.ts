import { and, asc, eq, exists, gte, inArray, lte, sql, type SQL } from 'drizzle-orm';
import { hhmmOf, type TimeOff, type TimeOffStatus, type UnavailableWindow, type Warning, type WarningCode } from '../../shared/schemas/planning.js';
import type { Database, Transaction } from '../db/client.js';
import { availability, locationMembers, schedules, shifts, timeOff, users, type TimeOffRow } from '../db/schema.js';

type Query = Database | Transaction;

/** Both drivers answer execute() with `{ rows }`. */
async function rowsOf<T>(q: Query, query: SQL): Promise<T[]> {
  return ((await q.execute(query)) as unknown as { rows: T[] }).rows;
}

export interface TimeOffFilter {
  userId?: number;
  locationId?: number;
  status?: TimeOffStatus;
  from?: string;
  to?: string;
  /** Only the time off of people who work at one of these locations (a manager's view). */
  sharingLocations?: readonly number[];
  after?: { startsOn: string; id: number };
  limit: number;
}

function toTimeOff(row: TimeOffRow, userName: string): TimeOff {
  return {
    id: row.id,
    userId: row.userId,
    userName,
    startsOn: row.startsOn,
    endsOn: row.endsOn,
    status: row.status,
    note: row.note,
    decidedBy: row.decidedBy,
    decidedAt: row.decidedAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/**
 * The week of a schedule as instants, in its location's zone: Monday 00:00 to the next Monday
 * 00:00 local time (167 or 169 hours across a DST change). `tz` is the zone name.
 */
const weekOf = (scheduleId: number) => sql`
  select s.id, s.location_id, s.week_start, l.timezone as tz,
         (s.week_start::timestamp at time zone l.timezone) as week_from,
         ((s.week_start + 7)::timestamp at time zone l.timezone) as week_to
  from schedules s join locations l on l.id = s.location_id
  where s.id = ${scheduleId}`;

/**
 * Each person of `sh` (the week's shifts): their hours in this week at every location. A shift
 * counts in the week in which it starts, measured in this location's zone.
 */
const hoursEverywhere = sql`
  select o.user_id, sum(extract(epoch from o.ends_at - o.starts_at)) / 3600 as hours
  from shifts o, week
  where o.user_id in (select user_id from sh) and o.starts_at >= week.week_from and o.starts_at < week.week_to
  group by o.user_id`;

const hhmm = (minutes: SQL) => sql`lpad((${minutes} / 60)::text, 2, '0') || ':' || lpad((${minutes} % 60)::text, 2, '0')`;

/**
 * Every warning of a week's assigned shifts (or of one of them), in one statement. Each part reads
 * its input through an index: time off by (user, start date), availability by (user, weekday), the
 * person's other shifts by (user, start). A shift's days are the local dates it touches in its
 * location's zone; an unavailable window is placed on each of those days in that zone, so it
 * keeps its wall-clock hours across a DST change.
 */
export function warningsQuery(scheduleId: number, shiftId?: number): SQL {
  const oneShift = shiftId === undefined ? sql`` : sql`and x.id = ${shiftId}`;
  return sql`
    with week as (${weekOf(scheduleId)}),
    days as (
      select x.id, x.user_id, x.starts_at, x.ends_at, week.tz, week.location_id,
             (x.starts_at at time zone week.tz)::date as first_day,
             ((x.ends_at - interval '1 millisecond') at time zone week.tz)::date as last_day
      from shifts x join week on x.schedule_id = week.id
      where x.user_id is not null ${oneShift}
    ),
    sh as (
      select days.*, (first_day::timestamp at time zone tz) as day_from, ((last_day + 1)::timestamp at time zone tz) as day_to from days
    ),
    -- The people's shifts anywhere from a day before the week to a day after it: every shift the
    -- rest and other-location checks can meet (a shift lasts at most 16 hours), read once
    -- through the (user, start) index instead of once per shift of the week.
    near as (
      select o.id, o.user_id, o.schedule_id, o.starts_at, o.ends_at
      from shifts o, week
      where o.user_id in (select user_id from sh)
        and o.starts_at > week.week_from - interval '26 hours' and o.starts_at < week.week_to + interval '26 hours'
    ),
    week_hours as (
      select near.user_id, sum(extract(epoch from near.ends_at - near.starts_at)) / 3600 as hours
      from near, week
      where near.starts_at >= week.week_from and near.starts_at < week.week_to
      group by near.user_id
    ),
    found as (
      (select distinct on (sh.id, t.status) sh.id as shift_id, sh.user_id,
              case t.status when 'approved' then 'time_off' else 'time_off_pending' end as code,
              case t.status when 'approved' then 'Approved time off' else 'Asked for time off' end
                || case when t.starts_on = t.ends_on then ' on ' || t.starts_on::text else ' from ' || t.starts_on::text || ' to ' || t.ends_on::text end as detail
       from sh join time_off t on t.user_id = sh.user_id and t.status in ('approved', 'pending')
            and t.starts_on <= sh.last_day and t.ends_on >= sh.first_day
       order by sh.id, t.status, t.starts_on)
      union all
      (select distinct on (sh.id) sh.id, sh.user_id, 'unavailable',
              'Unavailable on ' || (array['Mondays','Tuesdays','Wednesdays','Thursdays','Fridays','Saturdays','Sundays'])[a.weekday]
                || ' from ' || ${hhmm(sql`a.from_minute`)} || ' to ' || ${hhmm(sql`a.to_minute`)}
       from sh
       join availability a on a.user_id = sh.user_id
            and a.weekday in (extract(isodow from sh.first_day), extract(isodow from sh.last_day))
       -- A shift touches at most two local days (16 hours), of different weekdays.
       cross join lateral (select (case when a.weekday = extract(isodow from sh.first_day) then sh.first_day else sh.last_day end)::timestamp as day) d
       where ((d.day + a.from_minute * interval '1 minute') at time zone sh.tz) < sh.ends_at
         and ((d.day + a.to_minute * interval '1 minute') at time zone sh.tz) > sh.starts_at
       order by sh.id, a.weekday, a.from_minute)
      union all
      (select distinct on (sh.id) sh.id, sh.user_id, 'short_rest',
              'Only ' || to_char(gap, 'FMHH24 "h" MI "min"') || ' of rest ' ||
                case when o.starts_at >= sh.ends_at then 'before their next shift' else 'after their previous shift' end
       from sh
       join near o on o.user_id = sh.user_id and o.id <> sh.id
            and o.starts_at < sh.ends_at + interval '10 hours' and o.ends_at > sh.starts_at - interval '10 hours'
       cross join lateral (select case when o.starts_at >= sh.ends_at then o.starts_at - sh.ends_at else sh.starts_at - o.ends_at end as gap) g
       order by sh.id, gap)
      union all
      (select sh.id, sh.user_id, 'over_hours',
              trim_scale(round(wh.hours, 2))::text || ' h this week across all locations, above the limit of ' || trim_scale(u.max_weekly_hours)::text || ' h'
       from sh join week_hours wh on wh.user_id = sh.user_id join users u on u.id = sh.user_id
       where u.max_weekly_hours is not null and wh.hours > u.max_weekly_hours)
      union all
      (select distinct on (sh.id) sh.id, sh.user_id, 'other_location', 'Also works at ' || l.name || ' that day'
       from sh
       join near o on o.user_id = sh.user_id and o.starts_at < sh.day_to and o.ends_at > sh.day_from
       join schedules os on os.id = o.schedule_id and os.location_id <> sh.location_id
       join locations l on l.id = os.location_id
       order by sh.id, o.starts_at)
    )
    select f.shift_id as "shiftId", f.user_id as "userId", f.code, f.detail
    from found f join sh x on x.id = f.shift_id
    order by x.starts_at, x.id,
      array_position(array['time_off','time_off_pending','unavailable','short_rest','over_hours','other_location'], f.code)`;
}

interface LaborRow {
  kind: 'week' | 'user' | 'day';
  user_id: number | null;
  day: string | null;
  hours: string;
  cost: string;
  overtime: string | null;
}

/**
 * A week's hours and cost: per person (with overtime: their hours at every location in this
 * week, above their limit), per local day (a shift counts on the day it starts), and in all.
 * Open shifts count in hours, not cost; a person without a rate costs nothing known.
 */
export function laborQuery(scheduleId: number): SQL {
  return sql`
    with week as (${weekOf(scheduleId)}),
    sh as (
      select x.user_id, extract(epoch from x.ends_at - x.starts_at) / 3600 as hours,
             (x.starts_at at time zone week.tz)::date as day, u.hourly_rate as rate
      from shifts x join week on x.schedule_id = week.id left join users u on u.id = x.user_id
    ),
    everywhere as (${hoursEverywhere}),
    days as (
      select (week.week_start + n)::date as day from week, generate_series(0, 6) n
    )
    select 'week' as kind, null::int as user_id, null::text as day,
           coalesce(round(sum(hours), 2), 0)::text as hours,
           round(coalesce(sum(hours * rate) filter (where user_id is not null), 0), 2)::text as cost, null::text as overtime
    from sh
    union all
    select 'user', sh.user_id, null,
           round(sum(sh.hours), 2)::text, round(coalesce(sum(sh.hours * sh.rate), 0), 2)::text,
           round(greatest(0, max(e.hours) - coalesce(max(u.max_weekly_hours), 'Infinity'::numeric)), 2)::text
    from sh join everywhere e on e.user_id = sh.user_id join users u on u.id = sh.user_id
    group by sh.user_id
    union all
    select 'day', null, days.day::text,
           coalesce(round(sum(sh.hours), 2), 0)::text,
           round(coalesce(sum(sh.hours * sh.rate) filter (where sh.user_id is not null), 0), 2)::text, null
    from days left join sh on sh.day = days.day
    group by days.day
    order by kind, user_id, day`;
}

export function createPlanningRepository(db: Database) {
  async function withName(q: Query, row: TimeOffRow): Promise<TimeOff> {
    const [person] = await q.select({ name: users.name }).from(users).where(eq(users.id, row.userId));
    return toTimeOff(row, person?.name ?? '');
  }

  return {
    async availabilityOf(userId: number): Promise<UnavailableWindow[]> {
      const rows = await db
        .select({ weekday: availability.weekday, from: availability.fromMinute, to: availability.toMinute })
        .from(availability)
        .where(eq(availability.userId, userId))
        .orderBy(asc(availability.weekday), asc(availability.fromMinute), asc(availability.toMinute));
      return rows.map((r) => ({ weekday: r.weekday, from: hhmmOf(r.from), to: hhmmOf(r.to) }));
    },

    /** Replaces the person's windows (in the write path's transaction); the user row is held so two PUTs queue. */
    async replaceAvailability(tx: Transaction, userId: number, windows: Array<{ weekday: number; fromMinute: number; toMinute: number }>): Promise<boolean> {
      const [held] = await tx.select({ id: users.id }).from(users).where(eq(users.id, userId)).for('no key update');
      if (!held) return false;
      await tx.delete(availability).where(eq(availability.userId, userId));
      if (windows.length > 0) await tx.insert(availability).values(windows.map((w) => ({ userId, ...w })));
      return true;
    },

    async findTimeOff(id: number, q: Query = db): Promise<TimeOff | null> {
      const [row] = await q.select().from(timeOff).where(eq(timeOff.id, id));
      return row ? withName(q, row) : null;
    },

    async lockTimeOff(tx: Transaction, id: number): Promise<TimeOffRow | null> {
      const [row] = await tx.select().from(timeOff).where(eq(timeOff.id, id)).for('no key update');
      return row ?? null;
    },

    async insertTimeOff(
      tx: Transaction,
      values: { userId: number; startsOn: string; endsOn: string; note: string | null; status: TimeOffStatus; createdBy: number },
    ): Promise<TimeOff> {
      const decided = values.status === 'pending' ? {} : { decidedBy: values.createdBy, decidedAt: sql`now()` };
      const [row] = await tx
        .insert(timeOff)
        .values({ ...values, ...decided })
        .returning();
      return withName(tx, row!);
    },

    async decideTimeOff(tx: Transaction, id: number, status: TimeOffStatus, decidedBy: number): Promise<TimeOff> {
      const [row] = await tx
        .update(timeOff)
        .set({ status, decidedBy, decidedAt: sql`now()`, updatedAt: sql`now()` })
        .where(eq(timeOff.id, id))
        .returning();
      return withName(tx, row!);
    },

    async deleteTimeOff(tx: Transaction, id: number): Promise<void> {
      await tx.delete(timeOff).where(eq(timeOff.id, id));
    },

    /** Keyset pagination by (startsOn, id), earliest first. */
    async listTimeOff(filter: TimeOffFilter): Promise<TimeOff[]> {
      const conditions: (SQL | undefined)[] = [];
      if (filter.userId !== undefined) conditions.push(eq(timeOff.userId, filter.userId));
      if (filter.status) conditions.push(eq(timeOff.status, filter.status));
      if (filter.from) conditions.push(gte(timeOff.endsOn, filter.from));
      if (filter.to) conditions.push(lte(timeOff.startsOn, filter.to));
      if (filter.after) conditions.push(sql`(${timeOff.startsOn}, ${timeOff.id}) > (${filter.after.startsOn}::date, ${filter.after.id})`);
      const memberOf = (ids: readonly number[]) =>
        exists(
          db
            .select({ one: sql`1` })
            .from(locationMembers)
            .where(and(eq(locationMembers.userId, timeOff.userId), inArray(locationMembers.locationId, [...ids]))),
        );
      if (filter.locationId !== undefined) conditions.push(memberOf([filter.locationId]));
      if (filter.sharingLocations) conditions.push(filter.sharingLocations.length ? memberOf(filter.sharingLocations) : sql`false`);
      const rows = await db
        .select({ row: timeOff, userName: users.name })
        .from(timeOff)
        .innerJoin(users, eq(users.id, timeOff.userId))
        .where(and(...conditions))
        .orderBy(asc(timeOff.startsOn), asc(timeOff.id))
        .limit(filter.limit);
      return rows.map((r) => toTimeOff(r.row, r.userName));
    },

    /** A week's warnings; with `shiftId`, that shift's only. Reads in `q` (a write's transaction sees its own shift). */
    async warnings(scheduleId: number, shiftId?: number, q: Query = db): Promise<Warning[]> {
      const rows = await rowsOf<{ shiftId: number; userId: number; code: WarningCode; detail: string }>(q, warningsQuery(scheduleId, shiftId));
      return rows.map((r) => ({ shiftId: r.shiftId, userId: r.userId, code: r.code, detail: r.detail }));
    },

    /** The codes of one shift's warnings, read in the transaction that wrote it (API.md: `warnings` on a created or changed shift). */
    async shiftWarningCodes(tx: Transaction, scheduleId: number, shiftId: number): Promise<WarningCode[]> {
      const rows = await rowsOf<{ code: WarningCode }>(tx, warningsQuery(scheduleId, shiftId));
      return [...new Set(rows.map((r) => r.code))];
    },

    /** null when the schedule does not exist. */
    async labor(scheduleId: number): Promise<{ week: LaborRow; users: LaborRow[]; days: LaborRow[] } | null> {
      const rows = await rowsOf<LaborRow>(db, laborQuery(scheduleId));
      const week = rows.find((r) => r.kind === 'week');
      const days = rows.filter((r) => r.kind === 'day');
      if (!week || days.length === 0) return null;
      return { week, users: rows.filter((r) => r.kind === 'user'), days };
    },

    /** Schedules in which the person has a shift: their warnings and labor read the person's plan. */
    async scheduleIdsPlanning(userId: number): Promise<number[]> {
      const rows = await db.selectDistinct({ id: shifts.scheduleId }).from(shifts).where(eq(shifts.userId, userId));
      return rows.map((r) => r.id);
    },

    async scheduleIdsAt(locationId: number): Promise<number[]> {
      const rows = await db.select({ id: schedules.id }).from(schedules).where(eq(schedules.locationId, locationId));
      return rows.map((r) => r.id);
    },
  };
}

export type PlanningRepository = ReturnType<typeof createPlanningRepository>;
export type { LaborRow };
