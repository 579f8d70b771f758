import { and, asc, count, desc, eq, gt, gte, inArray, lt, lte, ne, or, sql, type SQL } from 'drizzle-orm';
import type { Schedule, ScheduleSummary, Shift } from '../../shared/schemas/schedules.js';
import type { Database, Transaction } from '../db/client.js';
import { constraintViolation, isConcurrencyAbort, SQLSTATE } from '../db/errors.js';
import { schedules, shifts, users, type ScheduleRow, type ShiftRow } from '../db/schema.js';
import { AppError, type Editor } from '../errors.js';
import type { ScheduleRef } from '../live/live.types.js';

export type { Transaction };

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
  version: shifts.version,
};

type ShiftRecord = { [K in keyof typeof shiftColumns]: K extends 'userName' ? string | null : ShiftRow[K & keyof ShiftRow] };

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
    version: row.version,
  };
}

function scheduleFields(row: ScheduleRow) {
  return {
    id: row.id,
    locationId: row.locationId,
    weekStart: row.weekStart,
    status: row.status,
    publishedAt: row.publishedAt?.toISOString() ?? null,
    version: row.version,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export const scheduleRef = (row: ScheduleRow): ScheduleRef => ({
  id: row.id,
  locationId: row.locationId,
  weekStart: row.weekStart,
  status: row.status,
  version: row.version,
});

const DEADLOCK_ATTEMPTS = 3;

/**
 * Within a week copy's savepoints: two concurrent writes of overlapping shifts for one person can
 * deadlock, and Postgres aborts one. Sent again, the aborted one finds the other committed and gets
 * the exclusion violation, which is reported as a skipped shift. Only when a race outlasts every
 * attempt is it a 409 `conflict`.
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

type Query = Database | Transaction;

/**
 * Reads take the pool (or a transaction); every write takes the transaction of the write path
 * (server/changes/write-path.ts), so a shift and its schedule's new version commit together.
 * Writes of one week hold its schedule row first (`lockSchedule`), then any shift row: one lock
 * order, so writers of one week queue instead of deadlocking, and their versions follow each other.
 */
export function createSchedulesRepository(db: Database) {
  /** The ids of a user's shifts that overlap [startsAt, endsAt), other than `exceptId`. */
  async function overlapping(q: Query, userId: number, startsAt: Date, endsAt: Date, exceptId?: number): Promise<number[]> {
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
   * Runs one shift statement in a savepoint, so that Postgres's refusal (the exclusion constraint
   * decides overlaps) becomes the API's answer naming the shifts in the way, looked up in the same
   * transaction. Anything else, a deadlock included, aborts the write path's transaction, which
   * sends a deadlock again whole.
   */
  async function shiftStatement<T>(tx: Transaction, values: { userId: number | null; startsAt: Date; endsAt: Date }, exceptId: number | undefined, run: (sp: Transaction) => Promise<T>): Promise<T> {
    try {
      return await tx.transaction(run);
    } catch (err) {
      const violation = constraintViolation(err);
      if (violation?.sqlState === SQLSTATE.exclusionViolation && values.userId !== null) {
        const conflicts = await overlapping(tx, values.userId, values.startsAt, values.endsAt, exceptId);
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
  }

  async function shiftsOf(q: Query, scheduleId: number): Promise<Shift[]> {
    const rows = await q
      .select(shiftColumns)
      .from(shifts)
      .leftJoin(users, eq(users.id, shifts.userId))
      .where(eq(shifts.scheduleId, scheduleId))
      .orderBy(asc(shifts.startsAt), asc(shifts.id));
    return rows.map(toShift);
  }

  async function findWithShifts(id: number, q: Query = db): Promise<Schedule | null> {
    const [row] = await q.select().from(schedules).where(eq(schedules.id, id));
    if (!row) return null;
    return { ...scheduleFields(row), shifts: await shiftsOf(q, id) };
  }

  async function shiftWithName(q: Query, shiftId: number): Promise<Shift> {
    const [row] = await q.select(shiftColumns).from(shifts).leftJoin(users, eq(users.id, shifts.userId)).where(eq(shifts.id, shiftId));
    return toShift(row!);
  }

  /** One revision of a week: its version and last editor, with whatever else this change sets. */
  async function bump(tx: Transaction, id: number, editorId: number, set: Partial<Pick<ScheduleRow, 'status'>> = {}): Promise<ScheduleRow> {
    const status = set.status;
    const [row] = await tx
      .update(schedules)
      .set({
        ...(status ? { status, publishedAt: status === 'published' ? sql`coalesce(${schedules.publishedAt}, now())` : null } : {}),
        version: sql`${schedules.version} + 1`,
        updatedBy: editorId,
        updatedAt: sql`now()`,
      })
      .where(eq(schedules.id, id))
      .returning();
    return row!;
  }

  return {
    overlapping: (userId: number, startsAt: Date, endsAt: Date, exceptId?: number) => overlapping(db, userId, startsAt, endsAt, exceptId),

    /** The schedule with its shifts by start, then id, and each shift's person's name. */
    findWithShifts,

    shiftWithName,

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

    /**
     * A new draft week, or 409 schedule_exists naming the one already there. The insert waits for
     * a concurrent one of the same week and then does nothing, so the transaction stays usable to
     * find the winner.
     */
    async insertSchedule(tx: Transaction, locationId: number, weekStart: string, editorId: number): Promise<ScheduleRow> {
      let row: ScheduleRow | undefined;
      try {
        [row] = await tx.insert(schedules).values({ locationId, weekStart, updatedBy: editorId }).onConflictDoNothing().returning();
      } catch (err) {
        // The location was deleted since it was looked up.
        if (constraintViolation(err)?.sqlState === SQLSTATE.foreignKeyViolation) throw new AppError('not_found', 'No such location.', { cause: err });
        throw err;
      }
      if (row) return row;
      const existing = await tx
        .select({ id: schedules.id })
        .from(schedules)
        .where(and(eq(schedules.locationId, locationId), eq(schedules.weekStart, weekStart)));
      throw new AppError('schedule_exists', 'This location already has a schedule for that week.', { conflicts: existing.map((r) => r.id) });
    },

    /**
     * Inserts a copied shift inside its own savepoint: a copy that would overlap someone's other
     * shift is skipped, reported with the shifts in the way, and the rest of the copy goes on.
     */
    async tryInsertShift(
      tx: Transaction,
      scheduleId: number,
      values: ShiftValues,
      editorId: number,
    ): Promise<{ ok: true } | { ok: false; reason: 'overlap' | 'too_long'; conflicts: number[] }> {
      try {
        // Each attempt in a savepoint of its own, so an aborted one leaves the copy's transaction usable.
        await retryingDeadlocks(() =>
          tx.transaction(async (sp) => {
            await sp.insert(shifts).values({ scheduleId, ...values, updatedBy: editorId });
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

    /** Holds the week's row until the transaction ends: every write of a week starts here. */
    async lockSchedule(tx: Transaction, id: number): Promise<ScheduleRow | null> {
      const [row] = await tx.select().from(schedules).where(eq(schedules.id, id)).for('no key update');
      return row ?? null;
    },

    /** Holds a shift's row (after its week's: see above). */
    async lockShift(tx: Transaction, scheduleId: number, shiftId: number): Promise<ShiftRow | null> {
      const [row] = await tx
        .select()
        .from(shifts)
        .where(and(eq(shifts.id, shiftId), eq(shifts.scheduleId, scheduleId)))
        .for('no key update');
      return row ?? null;
    },

    /**
     * Who made a held row's last change. Read apart from the lock: a row that was changed while
     * the lock waited is re-read alone, and a joined editor would stay the one of the old row.
     */
    async editor(q: Query, userId: number | null): Promise<Editor | null> {
      if (userId === null) return null;
      const [row] = await q.select({ id: users.id, name: users.name }).from(users).where(eq(users.id, userId));
      return row ?? null;
    },

    /** The week's next revision, e.g. for a shift change; `status` publishes or unpublishes it too. */
    bumpSchedule: bump,

    /** Everyone with a shift in the week (null for its open shifts), read in the write's transaction. */
    async peopleIn(tx: Transaction, scheduleId: number): Promise<Array<number | null>> {
      const rows = await tx.selectDistinct({ userId: shifts.userId }).from(shifts).where(eq(shifts.scheduleId, scheduleId));
      return rows.map((r) => r.userId);
    },

    async deleteSchedule(tx: Transaction, id: number): Promise<void> {
      await tx.delete(schedules).where(eq(schedules.id, id));
    },

    async insertShift(tx: Transaction, scheduleId: number, values: ShiftValues, editorId: number): Promise<number> {
      return shiftStatement(tx, values, undefined, async (sp) => {
        const [row] = await sp
          .insert(shifts)
          .values({ scheduleId, ...values, updatedBy: editorId })
          .returning({ id: shifts.id });
        return row!.id;
      });
    },

    /** Sets a held shift's fields; its version goes up by one. */
    async updateShift(tx: Transaction, shiftId: number, values: ShiftValues, editorId: number): Promise<void> {
      await shiftStatement(tx, values, shiftId, async (sp) => {
        await sp
          .update(shifts)
          .set({ ...values, version: sql`${shifts.version} + 1`, updatedBy: editorId, updatedAt: sql`now()` })
          .where(eq(shifts.id, shiftId));
      });
    },

    async deleteShift(tx: Transaction, shiftId: number): Promise<void> {
      await tx.delete(shifts).where(eq(shifts.id, shiftId));
    },

    /** Schedules that show this user's name on a shift: their cached copies change with it. */
    async scheduleIdsShowing(userId: number): Promise<number[]> {
      const rows = await db.selectDistinct({ id: shifts.scheduleId }).from(shifts).where(eq(shifts.userId, userId));
      return rows.map((r) => r.id);
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
