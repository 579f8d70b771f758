import { and, desc, eq, inArray, lt, or, sql, type SQL } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import type { ShiftRequest, ShiftRequestStatus } from '../../shared/schemas/shift-requests.js';
import type { Database, Transaction } from '../db/client.js';
import { constraintViolation, SQLSTATE } from '../db/errors.js';
import { schedules, shiftRequests, shifts, users } from '../db/schema.js';
import { AppError } from '../errors.js';

type Query = Database | Transaction;

const requester = alias(users, 'requester');
const colleague = alias(users, 'colleague');
const decider = alias(users, 'decider');

const isOpen = sql`${shiftRequests.status} in ('pending', 'accepted')`;

/**
 * A request's status as the API tells it. An undecided request whose shift has started is
 * `expired`, and one whose shift a manager gave to someone else meanwhile is `cancelled`: stored
 * rows catch up when they are next written and by the sweep (settle below), but no answer ever
 * shows them as still open. (docs/decisions/027)
 */
const effectiveStatus = sql<ShiftRequestStatus>`case
  when ${isOpen} and ${shifts.startsAt} <= now() then 'expired'::shift_request_status
  when ${isOpen} and ${shifts.userId} is distinct from ${shiftRequests.requesterId} then 'cancelled'::shift_request_status
  else ${shiftRequests.status} end`;

const columns = {
  id: shiftRequests.id,
  kind: shiftRequests.kind,
  status: effectiveStatus,
  storedStatus: shiftRequests.status,
  shiftId: shiftRequests.shiftId,
  scheduleId: shifts.scheduleId,
  locationId: schedules.locationId,
  weekStart: schedules.weekStart,
  scheduleStatus: schedules.status,
  shiftUserId: shifts.userId,
  position: shifts.position,
  startsAt: shifts.startsAt,
  endsAt: shifts.endsAt,
  requesterId: shiftRequests.requesterId,
  requesterName: requester.name,
  toUserId: shiftRequests.toUserId,
  toUserName: colleague.name,
  note: shiftRequests.note,
  decidedById: shiftRequests.decidedBy,
  decidedByName: decider.name,
  decidedAt: shiftRequests.decidedAt,
  createdAt: shiftRequests.createdAt,
  updatedAt: shiftRequests.updatedAt,
};

/** A request with what the rules read of its shift and week. */
export interface RequestRecord {
  id: number;
  kind: 'drop' | 'swap';
  status: ShiftRequestStatus;
  storedStatus: ShiftRequestStatus;
  shiftId: number;
  scheduleId: number;
  locationId: number;
  weekStart: string;
  scheduleStatus: 'draft' | 'published';
  shiftUserId: number | null;
  position: string;
  startsAt: Date;
  endsAt: Date;
  requesterId: number;
  requesterName: string;
  toUserId: number | null;
  toUserName: string | null;
  note: string | null;
  decidedById: number | null;
  decidedByName: string | null;
  decidedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export function toShiftRequest(r: RequestRecord): ShiftRequest {
  return {
    id: r.id,
    kind: r.kind,
    status: r.status,
    shiftId: r.shiftId,
    scheduleId: r.scheduleId,
    locationId: r.locationId,
    weekStart: r.weekStart,
    shift: { position: r.position, startsAt: r.startsAt.toISOString(), endsAt: r.endsAt.toISOString() },
    requester: { id: r.requesterId, name: r.requesterName },
    toUser: r.toUserId === null ? null : { id: r.toUserId, name: r.toUserName ?? '' },
    note: r.note,
    decidedBy: r.decidedById === null ? null : { id: r.decidedById, name: r.decidedByName ?? '' },
    decidedAt: r.decidedAt?.toISOString() ?? null,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
  };
}

export interface RequestFilter {
  /** Undefined: every request (admins). Otherwise those at these locations or involving this person. */
  scope?: { locationIds: readonly number[]; personId: number };
  locationId?: number;
  status?: ShiftRequestStatus;
  before?: number;
  limit: number;
}

/** What the sweep and the writes store once the effective status has moved on. */
const SETTLE = sql`
  update ${shiftRequests} set status = s.effective, updated_at = now()
  from (
    select r.id, case when ${shifts.startsAt} <= now() then 'expired'::shift_request_status else 'cancelled'::shift_request_status end as effective
    from ${shiftRequests} r join ${shifts} on ${shifts.id} = r.shift_id
    where r.status in ('pending', 'accepted') and (${shifts.startsAt} <= now() or ${shifts.userId} is distinct from r.requester_id)
  ) s
  where ${shiftRequests.id} = s.id`;

export function createShiftRequestsRepository(db: Database) {
  function select(q: Query) {
    return q
      .select(columns)
      .from(shiftRequests)
      .innerJoin(shifts, eq(shifts.id, shiftRequests.shiftId))
      .innerJoin(schedules, eq(schedules.id, shifts.scheduleId))
      .innerJoin(requester, eq(requester.id, shiftRequests.requesterId))
      .leftJoin(colleague, eq(colleague.id, shiftRequests.toUserId))
      .leftJoin(decider, eq(decider.id, shiftRequests.decidedBy));
  }

  async function find(id: number, q: Query = db): Promise<RequestRecord | null> {
    const [row] = await select(q).where(eq(shiftRequests.id, id));
    return (row as RequestRecord | undefined) ?? null;
  }

  return {
    find,

    async list(filter: RequestFilter): Promise<RequestRecord[]> {
      const conditions: (SQL | undefined)[] = [];
      if (filter.scope) {
        const { locationIds, personId } = filter.scope;
        conditions.push(
          or(
            locationIds.length ? inArray(schedules.locationId, [...locationIds]) : undefined,
            eq(shiftRequests.requesterId, personId),
            eq(shiftRequests.toUserId, personId),
          ),
        );
      }
      if (filter.locationId) conditions.push(eq(schedules.locationId, filter.locationId));
      if (filter.status) conditions.push(sql`${effectiveStatus} = ${filter.status}::shift_request_status`);
      if (filter.before) conditions.push(lt(shiftRequests.id, filter.before));
      const rows = await select(db)
        .where(and(...conditions))
        .orderBy(desc(shiftRequests.id))
        .limit(filter.limit);
      return rows as RequestRecord[];
    },

    /** The shift a new request is about, with its week, or null. */
    async shiftWithWeek(shiftId: number) {
      const [row] = await db
        .select({
          id: shifts.id,
          userId: shifts.userId,
          position: shifts.position,
          startsAt: shifts.startsAt,
          endsAt: shifts.endsAt,
          scheduleId: schedules.id,
          locationId: schedules.locationId,
          weekStart: schedules.weekStart,
          status: schedules.status,
        })
        .from(shifts)
        .innerJoin(schedules, eq(schedules.id, shifts.scheduleId))
        .where(eq(shifts.id, shiftId));
      return row ?? null;
    },

    /** Holds the request's row for the rest of the transaction (after its week and shift, if those are held). */
    async lock(tx: Transaction, id: number): Promise<void> {
      await tx.select({ id: shiftRequests.id }).from(shiftRequests).where(eq(shiftRequests.id, id)).for('update');
    },

    /**
     * A new pending request, or 409 request_exists naming the shift's undecided one. In a savepoint,
     * so the unique index's refusal leaves the transaction usable to find that one.
     */
    async insert(
      tx: Transaction,
      values: { shiftId: number; kind: 'drop' | 'swap'; requesterId: number; toUserId: number | null; note: string | null },
    ): Promise<number> {
      try {
        return await tx.transaction(async (sp) => {
          const [row] = await sp.insert(shiftRequests).values(values).returning({ id: shiftRequests.id });
          return row!.id;
        });
      } catch (err) {
        if (constraintViolation(err)?.sqlState !== SQLSTATE.uniqueViolation) throw err;
        const open = await tx
          .select({ id: shiftRequests.id })
          .from(shiftRequests)
          .where(and(eq(shiftRequests.shiftId, values.shiftId), isOpen));
        throw new AppError('request_exists', 'This shift already has a request waiting for an answer.', { conflicts: open.map((r) => r.id), cause: err });
      }
    },

    async setStatus(tx: Transaction, id: number, status: ShiftRequestStatus, decidedBy?: number): Promise<void> {
      await tx
        .update(shiftRequests)
        .set({ status, updatedAt: sql`now()`, ...(decidedBy === undefined ? {} : { decidedBy, decidedAt: sql`now()` }) })
        .where(eq(shiftRequests.id, id));
    },

    /**
     * Stores the effective status of undecided requests that have moved on (their shift started,
     * or was given to someone else): of one shift inside a write, of all of them in the sweep.
     */
    async settle(q: Query = db, shiftId?: number): Promise<number> {
      const result = await q.execute(shiftId === undefined ? sql`${SETTLE} returning ${shiftRequests.id}` : sql`${SETTLE} and ${shiftRequests.shiftId} = ${shiftId} returning ${shiftRequests.id}`);
      return (result as unknown as { rows: unknown[] }).rows.length;
    },
  };
}

export type ShiftRequestsRepository = ReturnType<typeof createShiftRequestsRepository>;
