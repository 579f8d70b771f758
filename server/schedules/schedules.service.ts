import { DateTime } from 'luxon';
import { z } from 'zod';
import { Id, StoredDate, StoredInstant } from '../../shared/schemas/common.js';
import {
  MAX_SHIFT_MS,
  Schedule as ScheduleSchema,
  type CreateScheduleBody,
  type CreateShiftBody,
  type PatchShiftBody,
  type Schedule,
  type ScheduleListQuery,
  type ScheduleSummary,
  type Shift,
} from '../../shared/schemas/schedules.js';
import { weekBounds } from '../../shared/time.js';
import type { Actor } from '../access/actor.js';
import { ensureAllowed, ensureVisible, managesLocation, memberOf, schedulePolicy, userPolicy } from '../access/policy.js';
import type { Cache, CacheKey } from '../cache/cache.js';
import { decodeCursor, encodeCursor } from '../http/cursor.js';
import { AppError } from '../errors.js';
import { RawJson } from '../raw-json.js';
import type { LocationsService } from '../locations/locations.service.js';
import type { UsersService } from '../users/users.service.js';
import type { SchedulesRepository, ShiftValues } from './schedules.repository.js';

export interface SchedulesServiceDeps {
  repo: SchedulesRepository;
  cache: Cache;
  locations: LocationsService;
  users: UsersService;
}

/** Where the previous page of the schedule list (newest week first) ended. */
const ScheduleCursor = z.strictObject({ weekStart: StoredDate, id: Id });
/** Where the previous page of a person's shifts (oldest first) ended. */
const UserShiftCursor = z.strictObject({ startsAt: StoredInstant, id: Id });

const scheduleKey = (id: number): CacheKey => ({ namespace: 'schedule', id });
/** What access checks read of a schedule, stored ahead of its shifts in the cache entry. */
const ScheduleHead = ScheduleSchema.pick({ locationId: true, status: true });

interface Skipped {
  shiftId: number;
  reason: 'overlap' | 'inactive_user' | 'not_member' | 'too_long';
  conflicts: number[];
}

const fieldError = (path: string, message: string, detail: string) =>
  new AppError('validation_failed', detail, { errors: [{ path, message }] });

export function createSchedulesService({ repo, cache, locations, users }: SchedulesServiceDeps) {
  function cached(id: number) {
    // A hit parses only the head (what access checks read); the 150 shifts behind it are sent as
    // stored, or parsed on demand and vouched for by the schema's fingerprint in the entry.
    return cache.getOrLoad({
      key: scheduleKey(id),
      ttl: 'MEDIUM',
      schema: ScheduleSchema,
      head: ScheduleHead,
      verify: 'version',
      load: () => repo.findWithShifts(id),
    });
  }

  /** The cached schedule if the actor may see it; 404 otherwise, so ids cannot be probed. */
  async function visible(actor: Actor, id: number) {
    const entry = await cached(id);
    ensureVisible(entry !== null && schedulePolicy.view(actor, entry.head), 'schedule');
    return entry!;
  }

  async function editable(actor: Actor, id: number): Promise<Schedule> {
    const entry = await visible(actor, id);
    ensureAllowed(schedulePolicy.edit(actor, entry.head), 'Only managers of this location change its schedules.');
    return entry.value();
  }

  async function timezoneOf(locationId: number): Promise<string> {
    const location = await locations.find(locationId);
    if (!location) throw new AppError('not_found', 'No such location.');
    return location.timezone;
  }

  /**
   * The rules every shift obeys (API.md): order, length, inside the week, and a person newly put on
   * it who is an active member. (A shift keeps a person who has left meanwhile; a note or time can
   * still be changed.)
   */
  async function checkShift(schedule: Schedule, values: ShiftValues, assigning: boolean): Promise<void> {
    if (values.endsAt <= values.startsAt) throw fieldError('endsAt', 'must be after startsAt', 'A shift ends after it starts.');
    if (values.endsAt.getTime() - values.startsAt.getTime() > MAX_SHIFT_MS) {
      throw fieldError('endsAt', 'a shift lasts at most 16 hours', 'A shift lasts at most 16 hours.');
    }
    const { start, end } = weekBounds(schedule.weekStart, await timezoneOf(schedule.locationId));
    if (values.startsAt < start || values.startsAt >= end) {
      throw fieldError('startsAt', `must be within the week of ${schedule.weekStart}`, 'A shift starts within its schedule’s week.');
    }
    if (assigning && values.userId !== null) {
      const user = await users.find(values.userId);
      if (!user || !user.active) throw new AppError('unprocessable', 'That person is not an active user.', { errors: [{ path: 'userId', message: 'is not an active user' }] });
      if (!user.locationIds.includes(schedule.locationId)) {
        throw new AppError('unprocessable', 'That person does not work at this location.', { errors: [{ path: 'userId', message: 'is not a member of the location' }] });
      }
    }
  }

  /** After a shift change commits: its schedule's cached copy is stale. */
  const invalidate = (scheduleId: number) => cache.invalidate([scheduleKey(scheduleId)]);

  /**
   * Who of a schedule's people may still work there, looked up before the copy's transaction
   * opens: a lookup inside it would need a second connection, and the embedded Postgres has one.
   */
  async function staffing(source: Schedule): Promise<Map<number, Skipped['reason'] | 'ok'>> {
    const ids = [...new Set(source.shifts.flatMap((s) => (s.userId === null ? [] : [s.userId])))];
    const people = await Promise.all(ids.map((id) => users.find(id)));
    return new Map(
      ids.map((id, i) => {
        const user = people[i];
        return [id, !user?.active ? 'inactive_user' : user.locationIds.includes(source.locationId) ? 'ok' : 'not_member'];
      }),
    );
  }

  async function copyShifts(
    tx: Parameters<Parameters<SchedulesRepository['createSchedule']>[2]>[0],
    source: Schedule,
    staff: Map<number, Skipped['reason'] | 'ok'>,
    target: { id: number; weekStart: string },
    timezone: string,
  ): Promise<Skipped[]> {
    const weeks = Math.round(DateTime.fromISO(target.weekStart).diff(DateTime.fromISO(source.weekStart), 'weeks').weeks);
    const skipped: Skipped[] = [];
    for (const shift of source.shifts) {
      // Same local wall-clock time `weeks` later: across a DST change that is not 168 h per week.
      const move = (iso: string) => DateTime.fromISO(iso, { zone: timezone }).plus({ weeks }).toJSDate();
      const startsAt = move(shift.startsAt);
      let endsAt = move(shift.endsAt);
      // Within the hour that fall-back repeats, a short shift's clock can read backwards (02:30 CEST
      // to 02:10 CET). Its wall-clock times cannot be kept elsewhere, so it keeps its length instead.
      if (endsAt <= startsAt) endsAt = new Date(startsAt.getTime() + (Date.parse(shift.endsAt) - Date.parse(shift.startsAt)));
      const values: ShiftValues = { userId: shift.userId, position: shift.position, startsAt, endsAt, notes: shift.notes };
      const standing = values.userId === null ? 'ok' : staff.get(values.userId);
      if (standing && standing !== 'ok') {
        skipped.push({ shiftId: shift.id, reason: standing, conflicts: [] });
        continue;
      }
      const result = await repo.tryInsertShift(tx, target.id, values);
      if (!result.ok) skipped.push({ shiftId: shift.id, reason: result.reason, conflicts: result.conflicts });
    }
    return skipped;
  }

  return {
    async get(actor: Actor, id: number): Promise<RawJson> {
      return new RawJson((await visible(actor, id)).json);
    },

    async list(actor: Actor, query: ScheduleListQuery): Promise<{ items: ScheduleSummary[]; nextCursor: string | null }> {
      const before = query.cursor ? decodeCursor(query.cursor, ScheduleCursor) : undefined;
      // Admins see everything; managers every week of their locations; crew published weeks of theirs.
      const mine = [...actor.locationIds];
      const scope =
        actor.role === 'admin' ? {} : actor.role === 'manager' ? { locationIds: mine } : { publishedOnlyLocationIds: mine };
      const rows = await repo.list({
        ...scope,
        locationId: query.locationId,
        status: query.status,
        from: query.from,
        to: query.to,
        before,
        limit: query.limit + 1,
      });
      const items = rows.slice(0, query.limit);
      const last = items.at(-1);
      return { items, nextCursor: rows.length > query.limit && last ? encodeCursor({ weekStart: last.weekStart, id: last.id }) : null };
    },

    async create(actor: Actor, body: CreateScheduleBody): Promise<Schedule & { skipped: Skipped[] }> {
      const location = await locations.find(body.locationId);
      ensureVisible(location !== null && memberOf(actor, body.locationId), 'location');
      ensureAllowed(managesLocation(actor, body.locationId), 'Only managers of this location create its schedules.');
      let source: Schedule | undefined;
      if (body.copyFromScheduleId !== undefined) {
        source = (await visible(actor, body.copyFromScheduleId)).value();
        if (source.locationId !== body.locationId) {
          throw new AppError('unprocessable', 'Copy from a schedule of the same location.', {
            errors: [{ path: 'copyFromScheduleId', message: 'is a schedule of another location' }],
          });
        }
      }
      const from = source;
      const staff = from ? await staffing(from) : new Map();
      const { id, skipped } = await repo.createSchedule(body.locationId, body.weekStart, async (tx, row) => ({
        id: row.id,
        skipped: from ? await copyShifts(tx, from, staff, row, location!.timezone) : [],
      }));
      await invalidate(id);
      // Read back through the cache, so the week its creator opens next is already there.
      return { ...(await cached(id))!.value(), skipped };
    },

    async setStatus(actor: Actor, id: number, status: 'draft' | 'published'): Promise<Schedule> {
      await editable(actor, id);
      if (!(await repo.setStatus(id, status))) throw new AppError('not_found', 'No such schedule.');
      await invalidate(id);
      return (await cached(id))!.value();
    },

    async delete(actor: Actor, id: number): Promise<void> {
      await editable(actor, id);
      const outcome = await repo.deleteDraft(id);
      if (outcome === 'published') throw new AppError('schedule_published', 'A published schedule cannot be deleted; unpublish it first.');
      if (outcome === 'missing') throw new AppError('not_found', 'No such schedule.');
      await invalidate(id);
    },

    async addShift(actor: Actor, scheduleId: number, body: CreateShiftBody): Promise<Shift> {
      const schedule = await editable(actor, scheduleId);
      const values: ShiftValues = { userId: body.userId ?? null, position: body.position, startsAt: body.startsAt, endsAt: body.endsAt, notes: body.notes ?? null };
      await checkShift(schedule, values, true);
      const shiftId = await repo.insertShift(scheduleId, values);
      await invalidate(scheduleId);
      return repo.shiftWithName(shiftId);
    },

    async updateShift(actor: Actor, scheduleId: number, shiftId: number, patch: PatchShiftBody): Promise<Shift> {
      const schedule = await editable(actor, scheduleId);
      const current = await repo.findShift(scheduleId, shiftId);
      if (!current) throw new AppError('not_found', 'No such shift.');
      const values: ShiftValues = {
        userId: patch.userId === undefined ? current.userId : patch.userId,
        position: patch.position ?? current.position,
        startsAt: patch.startsAt ?? current.startsAt,
        endsAt: patch.endsAt ?? current.endsAt,
        notes: patch.notes === undefined ? current.notes : patch.notes,
      };
      await checkShift(schedule, values, values.userId !== current.userId);
      if (!(await repo.updateShift(scheduleId, shiftId, values))) throw new AppError('not_found', 'No such shift.');
      await invalidate(scheduleId);
      return repo.shiftWithName(shiftId);
    },

    async deleteShift(actor: Actor, scheduleId: number, shiftId: number): Promise<void> {
      await editable(actor, scheduleId);
      if (!(await repo.deleteShift(scheduleId, shiftId))) throw new AppError('not_found', 'No such shift.');
      await invalidate(scheduleId);
    },

    async claim(actor: Actor, scheduleId: number, shiftId: number): Promise<Shift> {
      const schedule = (await visible(actor, scheduleId)).value();
      ensureAllowed(schedulePolicy.claim(actor, schedule), 'Only crew of this location take open shifts of a published week.');
      const me = await users.find(actor.userId);
      if (!me?.active || !me.locationIds.includes(schedule.locationId)) throw new AppError('forbidden', 'You no longer work at this location.');
      const open = schedule.shifts.find((s) => s.id === shiftId);
      if (open && Date.parse(open.startsAt) <= Date.now()) {
        throw new AppError('unprocessable', 'This shift has already started; it can no longer be taken.');
      }
      const outcome = await repo.claimShift(scheduleId, shiftId, actor.userId);
      if (outcome === 'taken') throw new AppError('shift_taken', 'Someone else has taken this shift.');
      // Unpublished between the check above and the claim: the week is a draft again, hidden from crew.
      if (outcome === 'unpublished') throw new AppError('not_found', 'No such schedule.');
      await invalidate(scheduleId);
      return repo.shiftWithName(shiftId);
    },

    /** A user's shifts, oldest first: only those the actor may see (userPolicy.shiftVisibility). */
    async userShifts(actor: Actor, userId: number, query: { from?: Date; to?: Date; limit: number; cursor?: string }) {
      const after = query.cursor ? decodeCursor(query.cursor, UserShiftCursor) : undefined;
      const user = await users.find(userId);
      ensureVisible(user !== null && userPolicy.view(actor, user), 'user');
      const rows = await repo.userShifts(userId, { from: query.from, to: query.to, after, limit: query.limit + 1 }, userPolicy.shiftVisibility(actor, user!));
      const items = rows.slice(0, query.limit);
      const last = items.at(-1);
      return { items, nextCursor: rows.length > query.limit && last ? encodeCursor({ startsAt: last.startsAt, id: last.id }) : null };
    },
  };
}

export type SchedulesService = ReturnType<typeof createSchedulesService>;
