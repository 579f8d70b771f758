import { and, asc, count, desc, eq, exists, gt, gte, inArray, isNull, lt, lte, ne, or, sql, type SQL } from 'drizzle-orm';
import type { Schedule, ScheduleSummary, Shift } from '../../shared/schemas/schedules.js';
import type { Database } from '../db/client.js';
import { constraintViolation, isConcurrencyAbort, SQLSTATE } from '../db/errors.js';
import { schedules, shifts, users, type ScheduleRow } from '../db/schema.js';
import { AppError } from '../errors.js';

export type Transaction = Parameters<Parameters<Database['transaction']>[0]>[0];

export interface ShiftValues {
  userId: number | null;
  position: string;
  startsAt: Date;
  endsAt: Date;
  notes: string | null;
}

export interface ScheduleFilter {
  /** Only these locations (undefined: all). */
  locationIds?: readonly number[];
  /** Published weeks of these locations are visible too (crew see those only). */
  publishedOnlyLocationIds?: readonly number[];
  locationId?: number;
  status?: 'draft' | 'published';
  from?: string;
  to?: string;
  /** Keyset: the week and id of the last item of the previous page (newest first). */
  before?: { weekStart: string; id: number };
  limit: number;
}

const shiftColumns = {
  id: shifts.id,
  scheduleId: shifts.scheduleId,
  userId: shifts.userId,
  userName: users.name,
  position: shifts.position,
  startsAt: shifts.startsAt,
  endsAt: shifts.endsAt,
  notes: shifts.notes,
};

type ShiftRecord = { [K in keyof typeof shiftColumns]: K extends 'userName' ? string | null : (typeof shifts.$inferSelect)[K & keyof typeof shifts.$inferSelect] };

export function toShift(row: ShiftRecord): Shift {
  return {
    id: row.id,
    scheduleId: row.scheduleId,
    userId: row.userId,
    userName: row.userName,
    position: row.position,
    startsAt: row.startsAt.toISOString(),
    endsAt: row.endsAt.toISOString(),
    notes: row.notes,
  };
}

function scheduleFields(row: ScheduleRow) {
  return {
    id: row.id,
    locationId: row.locationId,
    weekStart: row.weekStart,
    status: row.status,
    publishedAt: row.publishedAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

const DEADLOCK_ATTEMPTS = 3;

/**
 * Two concurrent writes of overlapping shifts for one person can deadlock: each row goes in, then
 * each exclusion check waits for the other's transaction, and Postgres aborts one of them. Sent
 * again, the aborted one finds the other committed and gets the exclusion violation, which the
 * caller turns into the usual 409. Only when a race outlasts every attempt is it a 409 `conflict`.
 */
async function retryingDeadlocks<T>(run: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (err) {
      if (!isConcurrencyAbort(err)) throw err;
      if (attempt >= DEADLOCK_ATTEMPTS) {
        throw new AppError('conflict', 'A concurrent change got in the way; send the request again.', { cause: err });
      }
    }
  }
}

export function createSchedulesRepository(db: Database) {
  /** The ids of a user's shifts that overlap [startsAt, endsAt), other than `exceptId`. */
  async function overlapping(q: Database | Transaction, userId: number, startsAt: Date, endsAt: Date, exceptId?: number): Promise<number[]> {
    const rows = await q
      .select({ id: shifts.id })
      .from(shifts)
      .where(
        and(
          eq(shifts.userId, userId),
          lt(shifts.startsAt, endsAt),
          gt(shifts.endsAt, startsAt),
          exceptId ? ne(shifts.id, exceptId) : undefined,
        ),
      )
      .orderBy(asc(shifts.startsAt));
    return rows.map((r) => r.id);
  }

  /**
   * Postgres decides overlaps (the exclusion constraint); this turns its refusal into the API's
   * 409 naming the shifts in the way.
   */
  async function translateShiftError(err: unknown, values: { userId: number | null; startsAt: Date; endsAt: Date }, exceptId?: number): Promise<never> {
    const violation = constraintViolation(err);
    if (violation?.sqlState === SQLSTATE.exclusionViolation && values.userId !== null) {
      const conflicts = await overlapping(db, values.userId, values.startsAt, values.endsAt, exceptId);
      throw new AppError('shift_overlap', 'This person already has a shift at that time.', { conflicts, cause: err });
    }
    if (violation?.sqlState === SQLSTATE.checkViolation) {
      throw new AppError('validation_failed', 'A shift ends after it starts and lasts at most 16 hours.', { cause: err });
    }
    if (violation?.sqlState === SQLSTATE.foreignKeyViolation) {
      throw new AppError('not_found', 'The schedule or user no longer exists.', { cause: err });
    }
    throw err;
  }

  async function shiftsOf(q: Database | Transaction, scheduleId: number): Promise<Shift[]> {
    const rows = await q
      .select(shiftColumns)
      .from(shifts)
      .leftJoin(users, eq(users.id, shifts.userId))
      .where(eq(shifts.scheduleId, scheduleId))
      .orderBy(asc(shifts.startsAt), asc(shifts.id));
    return rows.map(toShift);
  }

  return {
    overlapping: (userId: number, startsAt: Date, endsAt: Date, exceptId?: number) => overlapping(db, userId, startsAt, endsAt, exceptId),

    async findRow(id: number): Promise<ScheduleRow | null> {
      const [row] = await db.select().from(schedules).where(eq(schedules.id, id));
      return row ?? null;
    },

    /** The schedule with its shifts by start, then id, and each shift's person's name. */
    async findWithShifts(id: number): Promise<Schedule | null> {
      const [row] = await db.select().from(schedules).where(eq(schedules.id, id));
      if (!row) return null;
      return { ...scheduleFields(row), shifts: await shiftsOf(db, id) };
    },

    async list(filter: ScheduleFilter): Promise<ScheduleSummary[]> {
      const conditions: (SQL | undefined)[] = [];
      if (filter.locationIds || filter.publishedOnlyLocationIds) {
        const full = filter.locationIds ?? [];
        const publishedOnly = filter.publishedOnlyLocationIds ?? [];
        conditions.push(
          or(
            full.length ? inArray(schedules.locationId, [...full]) : undefined,
            publishedOnly.length ? and(inArray(schedules.locationId, [...publishedOnly]), eq(schedules.status, 'published')) : undefined,
            sql`false`,
          ),
        );
      }
      if (filter.locationId) conditions.push(eq(schedules.locationId, filter.locationId));
      if (filter.status) conditions.push(eq(schedules.status, filter.status));
      if (filter.from) conditions.push(gte(schedules.weekStart, filter.from));
      if (filter.to) conditions.push(lte(schedules.weekStart, filter.to));
      if (filter.before) {
        const { weekStart, id } = filter.before;
        conditions.push(or(lt(schedules.weekStart, weekStart), and(eq(schedules.weekStart, weekStart), lt(schedules.id, id))));
      }
      const rows = await db
        .select({ schedule: schedules, shiftCount: count(shifts.id) })
        .from(schedules)
        .leftJoin(shifts, eq(shifts.scheduleId, schedules.id))
        .where(and(...conditions))
        .groupBy(schedules.id)
        .orderBy(desc(schedules.weekStart), desc(schedules.id))
        .limit(filter.limit);
      return rows.map((r) => ({ ...scheduleFields(r.schedule), shiftCount: Number(r.shiftCount) }));
    },

    /** Runs `fn` in a transaction; a second schedule for the same week becomes 409 schedule_exists. */
    async createSchedule<T>(locationId: number, weekStart: string, fn: (tx: Transaction, schedule: ScheduleRow) => Promise<T>): Promise<T> {
      try {
        return await db.transaction(async (tx) => {
          const [row] = await tx.insert(schedules).values({ locationId, weekStart }).returning();
          return fn(tx, row!);
        });
      } catch (err) {
        if (constraintViolation(err)?.constraint === 'schedules_location_week_key') {
          const existing = await db
            .select({ id: schedules.id })
            .from(schedules)
            .where(and(eq(schedules.locationId, locationId), eq(schedules.weekStart, weekStart)));
          throw new AppError('schedule_exists', 'This location already has a schedule for that week.', {
            conflicts: existing.map((r) => r.id),
            cause: err,
          });
        }
        throw err;
      }
    },

    /**
     * Inserts a copied shift inside its own savepoint: a copy that would overlap someone's other
     * shift is skipped, reported with the shifts in the way, and the rest of the copy goes on.
     */
    async tryInsertShift(
      tx: Transaction,
      scheduleId: number,
      values: ShiftValues,
    ): Promise<{ ok: true } | { ok: false; reason: 'overlap' | 'too_long'; conflicts: number[] }> {
      try {
        // Each attempt in a savepoint of its own, so an aborted one leaves the copy's transaction usable.
        await retryingDeadlocks(() =>
          tx.transaction(async (sp) => {
            await sp.insert(shifts).values({ scheduleId, ...values });
          }),
        );
        return { ok: true };
      } catch (err) {
        const violation = constraintViolation(err);
        if (violation?.sqlState === SQLSTATE.exclusionViolation && values.userId !== null) {
          return { ok: false, reason: 'overlap', conflicts: await overlapping(tx, values.userId, values.startsAt, values.endsAt) };
        }
        // Kept wall-clock times across a DST change can stretch a 16-hour shift to 17.
        if (violation?.constraint === 'shifts_at_most_16_hours') return { ok: false, reason: 'too_long', conflicts: [] };
        throw err;
      }
    },

    shiftsOf: (scheduleId: number, tx?: Transaction) => shiftsOf(tx ?? db, scheduleId),

    async setStatus(id: number, status: 'draft' | 'published'): Promise<ScheduleRow | null> {
      const [row] = await db
        .update(schedules)
        .set({ status, publishedAt: status === 'published' ? sql`coalesce(${schedules.publishedAt}, now())` : null, updatedAt: sql`now()` })
        .where(eq(schedules.id, id))
        .returning();
      return row ?? null;
    },

    /** Deletes a draft; the status test is in the statement, so a concurrent publish wins cleanly. */
    async deleteDraft(id: number): Promise<'deleted' | 'published' | 'missing'> {
      const rows = await db
        .delete(schedules)
        .where(and(eq(schedules.id, id), eq(schedules.status, 'draft')))
        .returning({ id: schedules.id });
      if (rows.length > 0) return 'deleted';
      return (await this.findRow(id)) ? 'published' : 'missing';
    },

    async findShift(scheduleId: number, shiftId: number): Promise<(typeof shifts.$inferSelect) | null> {
      const [row] = await db
        .select()
        .from(shifts)
        .where(and(eq(shifts.id, shiftId), eq(shifts.scheduleId, scheduleId)));
      return row ?? null;
    },

    async shiftWithName(shiftId: number): Promise<Shift> {
      const [row] = await db.select(shiftColumns).from(shifts).leftJoin(users, eq(users.id, shifts.userId)).where(eq(shifts.id, shiftId));
      return toShift(row!);
    },

    async insertShift(scheduleId: number, values: ShiftValues): Promise<number> {
      try {
        const [row] = await retryingDeadlocks(() => db.insert(shifts).values({ scheduleId, ...values }).returning({ id: shifts.id }));
        await this.touchSchedule(scheduleId);
        return row!.id;
      } catch (err) {
        return translateShiftError(err, values);
      }
    },

    async updateShift(scheduleId: number, shiftId: number, values: ShiftValues): Promise<boolean> {
      try {
        const rows = await retryingDeadlocks(() =>
          db
            .update(shifts)
            .set({ ...values, updatedAt: sql`now()` })
            .where(and(eq(shifts.id, shiftId), eq(shifts.scheduleId, scheduleId)))
            .returning({ id: shifts.id }),
        );
        if (rows.length > 0) await this.touchSchedule(scheduleId);
        return rows.length > 0;
      } catch (err) {
        return translateShiftError(err, values, shiftId);
      }
    },

    async deleteShift(scheduleId: number, shiftId: number): Promise<{ userId: number | null } | null> {
      const [row] = await db
        .delete(shifts)
        .where(and(eq(shifts.id, shiftId), eq(shifts.scheduleId, scheduleId)))
        .returning({ userId: shifts.userId });
      if (row) await this.touchSchedule(scheduleId);
      return row ?? null;
    },

    /**
     * Gives an open shift of a published week to a user. Both tests are in the UPDATE itself, so of
     * several concurrent claims Postgres lets exactly one through, and none lands on a week that was
     * unpublished meanwhile; an overlap with the claimant's other shifts is refused by the
     * exclusion constraint.
     */
    async claimShift(scheduleId: number, shiftId: number, userId: number): Promise<'claimed' | 'taken' | 'unpublished'> {
      const current = await this.findShift(scheduleId, shiftId);
      if (!current) throw new AppError('not_found', 'No such shift.');
      const published = db
        .select({ id: schedules.id })
        .from(schedules)
        .where(and(eq(schedules.id, scheduleId), eq(schedules.status, 'published')));
      try {
        const rows = await retryingDeadlocks(() =>
          db
            .update(shifts)
            .set({ userId, updatedAt: sql`now()` })
            .where(and(eq(shifts.id, shiftId), eq(shifts.scheduleId, scheduleId), isNull(shifts.userId), exists(published)))
            .returning({ id: shifts.id }),
        );
        if (rows.length === 0) {
          const after = await this.findShift(scheduleId, shiftId);
          if (!after) throw new AppError('not_found', 'No such shift.');
          return after.userId === null ? 'unpublished' : 'taken';
        }
        await this.touchSchedule(scheduleId);
        return 'claimed';
      } catch (err) {
        return translateShiftError(err, { userId, startsAt: current.startsAt, endsAt: current.endsAt }, shiftId);
      }
    },

    async touchSchedule(id: number): Promise<void> {
      await db.update(schedules).set({ updatedAt: sql`now()` }).where(eq(schedules.id, id));
    },

    /** A user's shifts overlapping [from, to), oldest first (keyset by start, then id), as far as the caller may see. */
    async userShifts(
      userId: number,
      range: { from?: Date; to?: Date; after?: { startsAt: string; id: number }; limit: number },
      visibility: { all: true } | { managed: readonly number[]; published: readonly number[] | 'any' },
    ): Promise<Array<Shift & { locationId: number }>> {
      const conditions: (SQL | undefined)[] = [eq(shifts.userId, userId)];
      if (range.from) conditions.push(gt(shifts.endsAt, range.from));
      if (range.to) conditions.push(lt(shifts.startsAt, range.to));
      if (range.after) conditions.push(sql`(${shifts.startsAt}, ${shifts.id}) > (${range.after.startsAt}::timestamptz, ${range.after.id})`);
      if (!('all' in visibility)) {
        const { managed, published } = visibility;
        const inPublished =
          published === 'any' ? eq(schedules.status, 'published') : published.length ? and(eq(schedules.status, 'published'), inArray(schedules.locationId, [...published])) : undefined;
        conditions.push(or(managed.length ? inArray(schedules.locationId, [...managed]) : undefined, inPublished) ?? sql`false`);
      }
      const rows = await db
        .select({ ...shiftColumns, locationId: schedules.locationId })
        .from(shifts)
        .innerJoin(schedules, eq(schedules.id, shifts.scheduleId))
        .leftJoin(users, eq(users.id, shifts.userId))
        .where(and(...conditions))
        .orderBy(asc(shifts.startsAt), asc(shifts.id))
        .limit(range.limit);
      return rows.map((r) => ({ ...toShift(r), locationId: r.locationId }));
    },
  };
}

export type SchedulesRepository = ReturnType<typeof createSchedulesRepository>;
