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
import { addWeeks, weekBounds } from '../../shared/time.js';
import type { Actor } from '../access/actor.js';
import { ensureAllowed, ensureVisible, managesLocation, memberOf, schedulePolicy, userPolicy } from '../access/policy.js';
import type { Cache, CacheKey, ReadAhead } from '../cache/cache.js';
import type { ChangeFeed, ShiftHolder } from '../changes/changes.js';
import type { Touched, WritePath } from '../changes/write-path.js';
import type { Transaction } from '../db/client.js';
import type { ScheduleRow, ShiftRow } from '../db/schema.js';
import { decodeCursor, encodeCursor } from '../http/cursor.js';
import { AppError, notFound, preconditionHolds, versionMismatch, type Precondition } from '../errors.js';
import { RawJson } from '../raw-json.js';
import type { LocationsService } from '../locations/locations.service.js';
import type { SavedShift, WarningCode } from '../../shared/schemas/planning.js';
import type { User } from '../../shared/schemas/users.js';
import type { UsersService } from '../users/users.service.js';
import { scheduleRef, type SchedulesRepository, type ShiftValues } from './schedules.repository.js';
import type { Place } from '../notifications/notices.js';
import type { ScheduleNotices } from '../notifications/schedule-notices.js';
import { diffShifts, type PublicationsRepository } from './publications.js';
import type { ScheduleChanges } from '../../shared/schemas/publications.js';

export interface SchedulesServiceDeps {
  repo: SchedulesRepository;
  /** The codes of one shift's warnings, read in the write's transaction (planning.repository.ts). */
  shiftWarnings(tx: Transaction, scheduleId: number, shiftId: number): Promise<WarningCode[]>;
  cache: Cache;
  locations: LocationsService;
  users: UsersService;
  writes: WritePath;
  changes: ChangeFeed;
  /** Who hears of a change to a published week, and what each publish changed. */
  notices: ScheduleNotices;
  publications: PublicationsRepository;
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

interface ShiftContext {
  schedule: Schedule;
  bounds: { start: Date; end: Date };
  /** The person named by the request's userId, if it names one. */
  person: User | null;
  place: Place;
}

const fieldError = (path: string, message: string, detail: string) =>
  new AppError('validation_failed', detail, { errors: [{ path, message }] });

export function createSchedulesService({ repo, shiftWarnings, cache, locations, users, writes, changes, notices, publications }: SchedulesServiceDeps) {
  function cached(id: number, readAhead?: ReadAhead) {
    // A hit parses only the head (what access checks read); the 150 shifts behind it are sent as
    // stored, or parsed on demand and vouched for by the schema's fingerprint in the entry.
    return cache.getOrLoad({
      key: scheduleKey(id),
      ttl: 'MEDIUM',
      schema: ScheduleSchema,
      head: ScheduleHead,
      verify: 'version',
      readAhead,
      load: () => repo.findWithShifts(id),
    });
  }
  // The loader above copies each shift's person's name into the entry: a rename makes stale
  // every cached week that shows it.
  changes.copies('user.name', async (userId) => (await repo.scheduleIdsShowing(userId)).map(scheduleKey));

  /** The cached schedule if the actor may see it; 404 otherwise, so ids cannot be probed. */
  async function visible(actor: Actor, id: number, readAhead?: ReadAhead) {
    const entry = await cached(id, readAhead);
    ensureVisible(entry !== null && schedulePolicy.view(actor, entry.head), 'schedule');
    return entry!;
  }

  /** Which weeks the actor lists: admins all; managers every week of theirs; crew published weeks of theirs. */
  function listScope(actor: Actor) {
    const mine = [...actor.locationIds];
    return actor.role === 'admin' ? {} : actor.role === 'manager' ? { locationIds: mine } : { publishedOnlyLocationIds: mine };
  }

  /** The cached schedule if the actor may change it: 404 if they may not see it, 403 if they may see but not change it. */
  async function changeable(actor: Actor, id: number) {
    const entry = await visible(actor, id);
    ensureAllowed(schedulePolicy.edit(actor, entry.head), 'Only managers of this location change its schedules.');
    return entry;
  }

  async function editable(actor: Actor, id: number): Promise<Schedule> {
    return (await changeable(actor, id)).value();
  }

  /** The week's location, as notifications name it. */
  async function placeOf(schedule: { locationId: number; weekStart: string }): Promise<Place> {
    const location = await locations.find(schedule.locationId);
    if (!location) throw new AppError('not_found', 'No such location.');
    return { locationId: location.id, locationName: location.name, timezone: location.timezone, weekStart: schedule.weekStart };
  }

  /**
   * What the shift rules need from elsewhere, looked up before the write's transaction opens (a
   * lookup inside it would need a second connection, and the embedded Postgres has one): the
   * week's bounds, and the person a write would newly put on the shift.
   */
  async function shiftContext(schedule: Schedule, userId: number | null | undefined): Promise<ShiftContext> {
    const [place, person] = await Promise.all([placeOf(schedule), userId ? users.find(userId) : null]);
    return { schedule, bounds: weekBounds(schedule.weekStart, place.timezone), person, place };
  }

  /**
   * The rules every shift obeys (API.md): order, length, inside the week, and a person newly put on
   * it who is an active member. (A shift keeps a person who has left meanwhile; a note or time can
   * still be changed.)
   */
  function checkShift({ schedule, bounds, person }: ShiftContext, values: ShiftValues, assigning: boolean): void {
    if (values.endsAt <= values.startsAt) throw fieldError('endsAt', 'must be after startsAt', 'A shift ends after it starts.');
    if (values.endsAt.getTime() - values.startsAt.getTime() > MAX_SHIFT_MS) {
      throw fieldError('endsAt', 'a shift lasts at most 16 hours', 'A shift lasts at most 16 hours.');
    }
    if (values.startsAt < bounds.start || values.startsAt >= bounds.end) {
      throw fieldError('startsAt', `must be within the week of ${schedule.weekStart}`, 'A shift starts within its schedule’s week.');
    }
    if (assigning && values.userId !== null) {
      if (!person || person.id !== values.userId || !person.active) {
        throw new AppError('unprocessable', 'That person is not an active user.', { errors: [{ path: 'userId', message: 'is not an active user' }] });
      }
      if (!person.locationIds.includes(schedule.locationId)) {
        throw new AppError('unprocessable', 'That person does not work at this location.', { errors: [{ path: 'userId', message: 'is not a member of the location' }] });
      }
    }
  }

  /**
   * Reads a week just written back through the cache, so the next one to open it finds it there.
   * The answer is already the committed state: a failure here fails nothing.
   */
  async function warm(id: number): Promise<void> {
    await cached(id).catch(() => undefined);
  }

  /** Holds the week for the rest of the transaction: every write of a week and its shifts starts here. */
  async function lockWeek(tx: Transaction, id: number, precondition?: Precondition) {
    const week = await repo.lockSchedule(tx, id);
    if (!week) throw notFound('schedule');
    if (!preconditionHolds(precondition, week.version)) {
      throw versionMismatch('schedule', await repo.findWithShifts(id, tx), await repo.editor(tx, week.updatedBy));
    }
    return week;
  }

  /**
   * Holds one shift of a held week; a stale If-Match is a 412 with the shift as it is now. A shift
   * deleted since the caller loaded it (If-Match names the version they saw) is a 412 too, with
   * `current: null`: of two managers deleting one shift, the second learns it is gone, not that it
   * never was. Who deleted it is not recorded, so `changedBy` is null.
   */
  async function lockShift(tx: Transaction, scheduleId: number, shiftId: number, precondition?: Precondition): Promise<ShiftRow> {
    const shift = await repo.lockShift(tx, scheduleId, shiftId);
    if (!shift && precondition !== undefined) throw versionMismatch('shift', null, null);
    if (!shift) throw notFound('shift');
    if (!preconditionHolds(precondition, shift.version)) {
      throw versionMismatch('shift', await repo.shiftWithName(tx, shiftId), await repo.editor(tx, shift.updatedBy));
    }
    return shift;
  }

  /**
   * A shift of the week changed: the week's next revision, declared for the cache and live screens
   * with whose shifts it touched (the shift's person before and after).
   */
  async function revise(tx: Transaction, touched: Touched, week: ScheduleRow, editorId: number, people: ShiftHolder[]): Promise<void> {
    const row = await repo.bumpSchedule(tx, week.id, editorId);
    touched.add({ kind: 'schedule', schedule: scheduleRef(row), previousStatus: week.status, people });
  }

  /** A written shift as its response shows it: with its warnings, read before the commit. */
  async function saved(tx: Transaction, scheduleId: number, shiftId: number): Promise<SavedShift> {
    const [shift, warnings] = [await repo.shiftWithName(tx, shiftId), await shiftWarnings(tx, scheduleId, shiftId)];
    return { ...shift, warnings };
  }

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
    tx: Transaction,
    source: Schedule,
    staff: Map<number, Skipped['reason'] | 'ok'>,
    target: { id: number; weekStart: string },
    timezone: string,
    editorId: number,
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
      const result = await repo.tryInsertShift(tx, target.id, values, editorId);
      if (!result.ok) skipped.push({ shiftId: shift.id, reason: result.reason, conflicts: result.conflicts });
    }
    return skipped;
  }

  return {
    /** What access checks read of a schedule (through the cache), or null if there is none. */
    async head(id: number) {
      return (await cached(id))?.head ?? null;
    },

    async get(actor: Actor, id: number, readAhead?: ReadAhead): Promise<RawJson> {
      return new RawJson((await visible(actor, id, readAhead)).json);
    },

    /** Starts the read `get` will make, before the caller's access is known (routes' readAhead). */
    readAhead: (id: number) => cache.readAhead(scheduleKey(id)),

    /**
     * Refuses, as a change to the schedule would be refused, a caller who may not change it (for
     * features beside the schedule's own writes, such as presence). Reads only the entry's head.
     */
    async ensureEditable(actor: Actor, id: number): Promise<void> {
      await changeable(actor, id);
    },

    async list(actor: Actor, query: ScheduleListQuery): Promise<{ items: ScheduleSummary[]; nextCursor: string | null }> {
      const before = query.cursor ? decodeCursor(query.cursor, ScheduleCursor) : undefined;
      const rows = await repo.list({
        ...listScope(actor),
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

    /**
     * A location's week in one answer (LocationWeek): the week's schedule as cached, byte for byte
     * what GET /schedules/:id answers, and the previous week's summary. One indexed lookup finds
     * both weeks; the schedule itself comes through the cache.
     */
    async week(actor: Actor, locationId: number, weekStart: string): Promise<RawJson> {
      const location = await locations.find(locationId);
      ensureVisible(location !== null && memberOf(actor, locationId), 'location');
      const previousStart = addWeeks(weekStart, -1);
      const rows = await repo.list({ ...listScope(actor), locationId, from: previousStart, to: weekStart, limit: 2 });
      const summary = rows.find((r) => r.weekStart === weekStart);
      const previous = rows.find((r) => r.weekStart === previousStart) ?? null;
      // Deleted or unpublished since the lookup: the week has no schedule this caller may see.
      const entry = summary ? await cached(summary.id) : null;
      const schedule = entry && schedulePolicy.view(actor, entry.head) ? entry.json : 'null';
      return new RawJson(
        Buffer.concat([
          Buffer.from(`{"weekStart":${JSON.stringify(weekStart)},"schedule":`),
          typeof schedule === 'string' ? Buffer.from(schedule) : schedule,
          Buffer.from(`,"previous":${JSON.stringify(previous)}}`),
        ]),
      );
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
      const created = await writes.run(async (tx, touched) => {
        const row = await repo.insertSchedule(tx, body.locationId, body.weekStart, actor.userId);
        const skipped = from ? await copyShifts(tx, from, staff, row, location!.timezone, actor.userId) : [];
        const schedule = (await repo.findWithShifts(row.id, tx))!;
        touched.add({ kind: 'schedule', schedule: scheduleRef(row), previousStatus: null, people: schedule.shifts.map((s) => s.userId) });
        return { ...schedule, skipped };
      });
      await warm(created.id);
      return created;
    },

    /** Publishes or unpublishes; setting the status it already has changes nothing. */
    async setStatus(actor: Actor, id: number, status: 'draft' | 'published', precondition?: Precondition): Promise<Schedule> {
      const place = await placeOf(await editable(actor, id));
      const schedule = await writes.run(async (tx, touched) => {
        const week = await lockWeek(tx, id, precondition);
        if (week.status !== status) {
          const row = await repo.bumpSchedule(tx, id, actor.userId, { status });
          touched.add({ kind: 'schedule', schedule: scheduleRef(row), previousStatus: week.status, people: await repo.peopleIn(tx, id) });
          if (status === 'published') {
            // What changed since the last publish decides who is told; this publish is the next one's base.
            const current = await publications.current(id, tx);
            const diff = diffShifts(id, await publications.last(id, tx), current);
            await publications.record(tx, id, current);
            await notices.published(tx, touched, place, diff, current, actor.userId);
          }
        }
        return (await repo.findWithShifts(id, tx))!;
      });
      await warm(id);
      return schedule;
    },

    async delete(actor: Actor, id: number, precondition?: Precondition): Promise<void> {
      await editable(actor, id);
      await writes.run(async (tx, touched) => {
        const week = await lockWeek(tx, id, precondition);
        if (week.status === 'published') throw new AppError('schedule_published', 'A published schedule cannot be deleted; unpublish it first.');
        const people = await repo.peopleIn(tx, id);
        await repo.deleteSchedule(tx, id);
        touched.add({ kind: 'schedule.removed', schedule: scheduleRef(week), people });
      });
    },

    async addShift(actor: Actor, scheduleId: number, body: CreateShiftBody): Promise<SavedShift> {
      const values: ShiftValues = { userId: body.userId ?? null, position: body.position, startsAt: body.startsAt, endsAt: body.endsAt, notes: body.notes ?? null };
      const context = await shiftContext(await editable(actor, scheduleId), values.userId);
      checkShift(context, values, true);
      return writes.run(async (tx, touched) => {
        const week = await lockWeek(tx, scheduleId);
        const shiftId = await repo.insertShift(tx, scheduleId, values, actor.userId);
        await revise(tx, touched, week, actor.userId, [values.userId]);
        if (week.status === 'published') await notices.shiftEdited(tx, touched, context.place, null, values, actor.userId);
        return saved(tx, scheduleId, shiftId);
      });
    },

    async updateShift(actor: Actor, scheduleId: number, shiftId: number, patch: PatchShiftBody, precondition?: Precondition): Promise<SavedShift> {
      const context = await shiftContext(await editable(actor, scheduleId), patch.userId);
      return writes.run(async (tx, touched) => {
        const week = await lockWeek(tx, scheduleId);
        const current = await lockShift(tx, scheduleId, shiftId, precondition);
        // Merged with the row as it is now, held: a concurrent change to another field survives.
        const values: ShiftValues = {
          userId: patch.userId === undefined ? current.userId : patch.userId,
          position: patch.position ?? current.position,
          startsAt: patch.startsAt ?? current.startsAt,
          endsAt: patch.endsAt ?? current.endsAt,
          notes: patch.notes === undefined ? current.notes : patch.notes,
        };
        checkShift(context, values, values.userId !== current.userId);
        await repo.updateShift(tx, shiftId, values, actor.userId);
        await revise(tx, touched, week, actor.userId, [current.userId, values.userId]);
        if (week.status === 'published') await notices.shiftEdited(tx, touched, context.place, current, values, actor.userId);
        return saved(tx, scheduleId, shiftId);
      });
    },

    async deleteShift(actor: Actor, scheduleId: number, shiftId: number, precondition?: Precondition): Promise<void> {
      const place = await placeOf(await editable(actor, scheduleId));
      await writes.run(async (tx, touched) => {
        const week = await lockWeek(tx, scheduleId);
        const gone = await lockShift(tx, scheduleId, shiftId, precondition);
        await repo.deleteShift(tx, shiftId);
        await revise(tx, touched, week, actor.userId, [gone.userId]);
        if (week.status === 'published') await notices.shiftEdited(tx, touched, place, gone, null, actor.userId);
      });
    },

    /**
     * Gives an open shift of a published week to the caller. Week and shift are held while they
     * are checked, so of several concurrent claims exactly one finds the shift open, and none lands
     * on a week unpublished meanwhile; an overlap with the claimant's other shifts is refused by
     * the exclusion constraint.
     */
    async claim(actor: Actor, scheduleId: number, shiftId: number): Promise<Shift> {
      const schedule = (await visible(actor, scheduleId)).value();
      ensureAllowed(schedulePolicy.claim(actor, schedule), 'Only crew of this location take open shifts of a published week.');
      const me = await users.find(actor.userId);
      if (!me?.active || !me.locationIds.includes(schedule.locationId)) throw new AppError('forbidden', 'You no longer work at this location.');
      return writes.run(async (tx, touched) => {
        const week = await lockWeek(tx, scheduleId);
        // Unpublished since the check above: the week is a draft again, hidden from crew.
        if (week.status !== 'published') throw notFound('schedule');
        const shift = await lockShift(tx, scheduleId, shiftId);
        if (shift.startsAt.getTime() <= Date.now()) throw new AppError('unprocessable', 'This shift has already started; it can no longer be taken.');
        if (shift.userId !== null) throw new AppError('shift_taken', 'Someone else has taken this shift.');
        const { position, startsAt, endsAt, notes } = shift;
        await repo.updateShift(tx, shiftId, { userId: actor.userId, position, startsAt, endsAt, notes }, actor.userId);
        await revise(tx, touched, week, actor.userId, [actor.userId]);
        return repo.shiftWithName(tx, shiftId);
      });
    },

    /** What changed since the week was last published (all of it if never), for the publish confirmation. */
    async changesSincePublished(actor: Actor, id: number): Promise<ScheduleChanges> {
      await editable(actor, id);
      const [last, current] = await Promise.all([publications.last(id), publications.current(id)]);
      return diffShifts(id, last, current);
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
