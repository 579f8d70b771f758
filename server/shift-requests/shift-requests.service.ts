import { z } from 'zod';
import { Id } from '../../shared/schemas/common.js';
import type { CreateShiftRequestBody, ShiftRequest, ShiftRequestAction, ShiftRequestListQuery } from '../../shared/schemas/shift-requests.js';
import type { Actor } from '../access/actor.js';
import { ensureAllowed, ensureVisible, managesLocation, schedulePolicy } from '../access/policy.js';
import type { Touched, WritePath } from '../changes/write-path.js';
import type { Transaction } from '../db/client.js';
import { AppError, notFound } from '../errors.js';
import { decodeCursor, encodeCursor } from '../http/cursor.js';
import type { LocationsService } from '../locations/locations.service.js';
import { links, notices, requestNotices, type Place } from '../notifications/notices.js';
import type { Notifier } from '../notifications/notifier.js';
import { scheduleRef, type SchedulesRepository } from '../schedules/schedules.repository.js';
import type { UsersService } from '../users/users.service.js';
import { toShiftRequest, type RequestRecord, type ShiftRequestsRepository } from './shift-requests.repository.js';

export interface ShiftRequestsServiceDeps {
  repo: ShiftRequestsRepository;
  schedules: SchedulesRepository;
  users: UsersService;
  locations: LocationsService;
  notifier: Notifier;
  writes: WritePath;
}

const RequestCursor = z.strictObject({ id: Id });

const unprocessable = (path: string, message: string, detail: string) => new AppError('unprocessable', detail, { errors: [{ path, message }] });

/** Who may see a request: its two people, the location's managers, admins. */
const mayView = (a: Actor, r: RequestRecord) => managesLocation(a, r.locationId) || a.userId === r.requesterId || a.userId === r.toUserId;

/** Which action the request waits for, by status and kind. */
function refuseUnlessOpenFor(r: RequestRecord, action: ShiftRequestAction): void {
  if (r.status === 'expired') throw new AppError('request_expired', 'The shift has started; this request can no longer be answered.');
  const waitsFor: Record<ShiftRequestAction, boolean> = {
    accept: r.kind === 'swap' && r.status === 'pending',
    decline: r.kind === 'swap' && r.status === 'pending',
    approve: r.kind === 'drop' ? r.status === 'pending' : r.status === 'accepted',
    deny: r.status === 'pending' || r.status === 'accepted',
    cancel: r.status === 'pending' || r.status === 'accepted',
  };
  if (waitsFor[action]) return;
  const why =
    r.status === 'pending' && action === 'approve'
      ? `${r.toUserName ?? 'The colleague'} has not accepted this swap yet.`
      : r.status === 'accepted' && (action === 'accept' || action === 'decline')
        ? 'This swap was accepted already; a manager decides it now.'
        : `This request is ${r.status} already.`;
  throw new AppError('request_decided', why);
}

export function createShiftRequestsService({ repo, schedules, users, locations, notifier, writes }: ShiftRequestsServiceDeps) {
  async function placeOf(r: { locationId: number; weekStart: string }): Promise<Place> {
    const location = await locations.find(r.locationId);
    if (!location) throw notFound('location');
    return { locationId: r.locationId, locationName: location.name, timezone: location.timezone, weekStart: r.weekStart };
  }

  /** The colleague a swap would give the shift to: an active member of the location. */
  async function checkColleague(toUserId: number, locationId: number): Promise<{ id: number; name: string }> {
    const person = await users.find(toUserId);
    if (!person?.active || !person.locationIds.includes(locationId)) {
      throw unprocessable('toUserId', 'does not work at this location', 'That person does not work at this location, so the shift cannot go to them.');
    }
    return person;
  }

  /** 409 shift_overlap when the colleague has a shift at that time already (a check for a clear early answer; approval's constraint decides). */
  async function checkFree(userId: number, shift: { startsAt: Date; endsAt: Date }, name: string): Promise<void> {
    const conflicts = await schedules.overlapping(userId, shift.startsAt, shift.endsAt);
    if (conflicts.length > 0) throw new AppError('shift_overlap', `${name} already has a shift at that time.`, { conflicts });
  }

  const managersOf = (tx: Transaction, locationId: number) => notifier.membersOf(tx, locationId, ['manager']);

  async function visibleRequest(actor: Actor, id: number): Promise<RequestRecord> {
    const r = await repo.find(id);
    ensureVisible(r !== null && mayView(actor, r), 'shift request');
    return r!;
  }

  /** Applies an approved request to its shift: a swap gives it to the colleague, a drop makes it open. */
  async function apply(tx: Transaction, touched: Touched, r: RequestRecord, actor: Actor, place: Place, by: string): Promise<void> {
    const week = await schedules.lockSchedule(tx, r.scheduleId);
    if (!week) throw notFound('schedule');
    const shift = await schedules.lockShift(tx, r.scheduleId, r.shiftId);
    if (!shift) throw notFound('shift');
    await repo.lock(tx, r.id);
    const now = (await repo.find(r.id, tx))!;
    refuseUnlessOpenFor(now, 'approve');
    const { position, startsAt, endsAt, notes } = shift;
    // The exclusion constraint decides: a colleague who is no longer free is a 409 shift_overlap.
    await schedules.updateShift(tx, shift.id, { userId: now.toUserId, position, startsAt, endsAt, notes }, actor.userId);
    const row = await schedules.bumpSchedule(tx, week.id, actor.userId);
    touched.add({ kind: 'schedule', schedule: scheduleRef(row), previousStatus: week.status, people: [now.requesterId, now.toUserId] });
    await repo.setStatus(tx, r.id, 'approved', actor.userId);

    const facts = { position, startsAt, endsAt };
    await notifier.send(tx, touched, [now.requesterId], requestNotices.decided(place, 'approved', by, facts), actor.userId);
    if (now.toUserId !== null) {
      await notifier.send(tx, touched, [now.toUserId], requestNotices.takenOver(place, now.requesterName, facts), actor.userId);
    } else if (week.status === 'published') {
      const crew = await notifier.membersOf(tx, r.locationId, ['crew']);
      await notifier.send(tx, touched, crew.filter((id) => id !== now.requesterId), notices.openShifts(place, [facts]), actor.userId);
    }
  }

  return {
    async list(actor: Actor, query: ShiftRequestListQuery): Promise<{ items: ShiftRequest[]; nextCursor: string | null }> {
      const before = query.cursor ? decodeCursor(query.cursor, RequestCursor).id : undefined;
      const scope = actor.role === 'admin' ? undefined : { locationIds: actor.role === 'manager' ? [...actor.locationIds] : [], personId: actor.userId };
      const rows = await repo.list({ scope, locationId: query.locationId, status: query.status, before, limit: query.limit + 1 });
      const items = rows.slice(0, query.limit).map(toShiftRequest);
      const last = items.at(-1);
      return { items, nextCursor: rows.length > query.limit && last ? encodeCursor({ id: last.id }) : null };
    },

    async get(actor: Actor, id: number): Promise<ShiftRequest> {
      return toShiftRequest(await visibleRequest(actor, id));
    },

    /** By the person on a shift of a published week that has not started: drop it, or hand it to a colleague. */
    async create(actor: Actor, body: CreateShiftRequestBody): Promise<ShiftRequest> {
      const shift = await repo.shiftWithWeek(body.shiftId);
      ensureVisible(shift !== null && schedulePolicy.view(actor, shift), 'shift');
      if (shift!.userId === null) {
        throw unprocessable('shiftId', 'is an open shift', 'This shift is open: nobody is on it to drop or swap it. Crew can take it from the schedule.');
      }
      ensureAllowed(shift!.userId === actor.userId, 'Only the person on a shift may ask to drop or swap it.');
      if (shift!.status !== 'published') throw unprocessable('shiftId', 'is in a week that is not published', 'Shifts of a draft week are changed by its managers.');
      if (shift!.startsAt.getTime() <= Date.now()) throw unprocessable('shiftId', 'has already started', 'This shift has already started.');
      let colleague: { id: number; name: string } | null = null;
      if (body.kind === 'swap') {
        if (body.toUserId === actor.userId) throw unprocessable('toUserId', 'is you', 'Choose a colleague to take the shift, not yourself.');
        colleague = await checkColleague(body.toUserId!, shift!.locationId);
        await checkFree(colleague.id, shift!, colleague.name);
      }
      const [place, me] = await Promise.all([placeOf(shift!), users.find(actor.userId)]);
      const myName = me?.name ?? 'A colleague';
      return writes.run(async (tx, touched) => {
        // The week and the shift are held as they are checked, so no edit slips in between.
        const week = await schedules.lockSchedule(tx, shift!.scheduleId);
        if (week?.status !== 'published') throw unprocessable('shiftId', 'is in a week that is not published', 'This week was unpublished meanwhile.');
        const held = await schedules.lockShift(tx, shift!.scheduleId, shift!.id);
        if (!held || held.userId !== actor.userId) throw new AppError('forbidden', 'This shift is no longer yours.');
        if (held.startsAt.getTime() <= Date.now()) throw unprocessable('shiftId', 'has already started', 'This shift has already started.');
        await repo.settle(tx, held.id);
        const id = await repo.insert(tx, { shiftId: held.id, kind: body.kind, requesterId: actor.userId, toUserId: colleague?.id ?? null, note: body.note ?? null });
        const facts = { position: held.position, startsAt: held.startsAt, endsAt: held.endsAt };
        if (colleague) await notifier.send(tx, touched, [colleague.id], requestNotices.askColleague(place, myName, facts), actor.userId);
        else await notifier.send(tx, touched, await managersOf(tx, shift!.locationId), requestNotices.askManager(place, 'drop', myName, null, facts), actor.userId);
        return toShiftRequest((await repo.find(id, tx))!);
      });
    },

    /**
     * One step of a request: the colleague accepts or declines a swap, a manager approves or
     * denies, the requester cancels. Approval applies the change in the same transaction, under
     * the week's lock and the overlap constraint; of two managers deciding at once, one wins.
     */
    async act(actor: Actor, id: number, action: ShiftRequestAction): Promise<ShiftRequest> {
      const r = await visibleRequest(actor, id);
      if (action === 'accept' || action === 'decline') ensureAllowed(actor.userId === r.toUserId, 'Only the colleague asked accepts or declines a swap.');
      if (action === 'approve' || action === 'deny') ensureAllowed(managesLocation(actor, r.locationId), 'Only managers of this location approve or deny shift requests.');
      if (action === 'cancel') ensureAllowed(actor.userId === r.requesterId, 'Only the person who asked may cancel a request.');
      refuseUnlessOpenFor(r, action);
      if (action === 'approve' && r.toUserId !== null) await checkColleague(r.toUserId, r.locationId);
      if (action === 'accept') await checkFree(actor.userId, r, 'You');
      const [place, me] = await Promise.all([placeOf(r), users.find(actor.userId)]);
      const myName = me?.name ?? 'Someone';
      const facts = { position: r.position, startsAt: r.startsAt, endsAt: r.endsAt };

      return writes.run(async (tx, touched) => {
        if (action === 'approve') {
          await apply(tx, touched, r, actor, place, myName);
          return toShiftRequest((await repo.find(id, tx))!);
        }
        await repo.lock(tx, id);
        const now = (await repo.find(id, tx))!;
        refuseUnlessOpenFor(now, action);
        switch (action) {
          case 'accept':
            await repo.setStatus(tx, id, 'accepted');
            await notifier.send(tx, touched, await managersOf(tx, r.locationId), requestNotices.askManager(place, 'swap', now.requesterName, myName, facts), actor.userId);
            break;
          case 'decline':
            await repo.setStatus(tx, id, 'declined', actor.userId);
            await notifier.send(tx, touched, [now.requesterId], requestNotices.decided(place, 'declined', myName, facts), actor.userId);
            break;
          case 'deny':
            await repo.setStatus(tx, id, 'denied', actor.userId);
            await notifier.send(tx, touched, [now.requesterId, ...(now.status === 'accepted' && now.toUserId ? [now.toUserId] : [])], requestNotices.decided(place, 'denied', myName, facts), actor.userId);
            break;
          case 'cancel': {
            await repo.setStatus(tx, id, 'cancelled', actor.userId);
            // Whoever the request was waiting for is told it is gone: the colleague, or the managers.
            const waiting = now.kind === 'swap' && now.status === 'pending' ? [now.toUserId!] : await managersOf(tx, r.locationId);
            const link = now.kind === 'swap' && now.status === 'pending' ? undefined : links.planner(place);
            await notifier.send(tx, touched, waiting, requestNotices.decided(place, 'cancelled', myName, facts, link), actor.userId);
            break;
          }
        }
        return toShiftRequest((await repo.find(id, tx))!);
      });
    },

    /** The sweep: stores the status of undecided requests whose shift started or went to someone else. */
    settleAll: () => repo.settle(),
  };
}

export type ShiftRequestsService = ReturnType<typeof createShiftRequestsService>;
