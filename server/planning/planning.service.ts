import { z } from 'zod';
import { Id, StoredDate } from '../../shared/schemas/common.js';
import {
  Labor as LaborSchema,
  Warnings as WarningsSchema,
  minutesOf,
  type Availability,
  type CreateTimeOffBody,
  type Labor,
  type TimeOff,
  type TimeOffListQuery,
} from '../../shared/schemas/planning.js';
import type { User } from '../../shared/schemas/users.js';
import type { Actor } from '../access/actor.js';
import { ensureAllowed, ensureVisible, planPolicy, schedulePolicy } from '../access/policy.js';
import type { Cache, CacheKey, LoadRequest } from '../cache/cache.js';
import type { ChangeFeed, PlanFact } from '../changes/changes.js';
import type { WritePath } from '../changes/write-path.js';
import type { Transaction } from '../db/client.js';
import { AppError, notFound } from '../errors.js';
import { decodeCursor, encodeCursor } from '../http/cursor.js';
import { RawJson } from '../raw-json.js';
import type { UsersService } from '../users/users.service.js';
import type { PlanningRepository } from './planning.repository.js';

export interface PlanningServiceDeps {
  repo: PlanningRepository;
  cache: Cache;
  users: UsersService;
  writes: WritePath;
  changes: ChangeFeed;
  currency: string;
  /** The schedule's location and status if it exists (through the schedule cache), for access checks. */
  scheduleHead(id: number): Promise<{ locationId: number; status: 'draft' | 'published' } | null>;
}

const TimeOffCursor = z.strictObject({ startsOn: StoredDate, id: Id });

export const warningsKey = (scheduleId: number): CacheKey => ({ namespace: 'warnings', id: scheduleId });
export const laborKey = (scheduleId: number): CacheKey => ({ namespace: 'labor', id: scheduleId });

const PLAN_FACTS: readonly PlanFact[] = ['timeOff', 'availability', 'limit', 'rate'];
const WARNING_INPUTS: readonly PlanFact[] = ['timeOff', 'availability', 'limit'];
const LABOR_INPUTS: readonly PlanFact[] = ['limit', 'rate'];

export function createPlanningService({ repo, cache, users, writes, changes, currency, scheduleHead }: PlanningServiceDeps) {
  // Warnings and labor are loaded by the statements in planning.repository.ts. Besides the
  // week's own shifts ('schedule') and its location's zone ('location'), they read the plan of
  // each person on the week: shifts at other locations, time off, availability, the weekly
  // limit, the rate. Declared here, beside the loaders, so the writes of those inputs need not
  // know who reads them (server/changes/changes.ts).
  const both = [warningsKey, laborKey];
  const keysOf = (readers: readonly ((id: number) => CacheKey)[], scheduleIds: number[]) => scheduleIds.flatMap((id) => readers.map((key) => key(id)));
  changes.copies('schedule', async (id) => keysOf(both, [id]));
  changes.copies('location.details', async (locationId) => keysOf(both, await repo.scheduleIdsAt(locationId)));
  // A person's shifts anywhere (schedule changes name whose): other-location, rest and hours checks, overtime.
  changes.copies('user.shifts', async (userId) => keysOf(both, await repo.scheduleIdsPlanning(userId)));
  for (const fact of PLAN_FACTS) {
    const readers = both.filter((key) => (key === warningsKey ? WARNING_INPUTS : LABOR_INPUTS).includes(fact));
    changes.copies(`plan.${fact}`, async (userId) => keysOf(readers, await repo.scheduleIdsPlanning(userId)));
  }

  /** A week whose warnings or labor the actor may read: its managers and admins (404/403 otherwise). */
  async function plannable(actor: Actor, scheduleId: number): Promise<void> {
    const head = await scheduleHead(scheduleId);
    ensureVisible(head !== null && schedulePolicy.view(actor, head), 'schedule');
    ensureAllowed(schedulePolicy.edit(actor, head!), 'Only managers of this location see its warnings and labor.');
  }

  /** A cached view of a week for its managers (warnings, labor): the stored JSON, sent as it is. */
  async function weekView<S extends z.ZodType>(actor: Actor, scheduleId: number, request: LoadRequest<S>): Promise<RawJson> {
    await plannable(actor, scheduleId);
    const entry = await cache.getOrLoad(request);
    if (!entry) throw notFound('schedule');
    return new RawJson(entry.json);
  }

  async function person(actor: Actor, userId: number): Promise<User> {
    const user = await users.find(userId);
    ensureVisible(user !== null && planPolicy.view(actor, user), 'user');
    return user!;
  }

  async function visibleTimeOff(actor: Actor, id: number): Promise<{ entry: TimeOff; owner: User }> {
    const entry = await repo.findTimeOff(id);
    const owner = entry ? await users.find(entry.userId) : null;
    ensureVisible(entry !== null && owner !== null && planPolicy.view(actor, owner), 'time off');
    return { entry: entry!, owner: owner! };
  }

  /** One write of a person's plan: after the commit, every week whose warnings read it is dropped. */
  function writePlan<T>(userId: number, fact: PlanFact, work: (tx: Transaction) => Promise<T>): Promise<T> {
    return writes.run(async (tx, touched) => {
      const result = await work(tx);
      touched.add({ kind: 'plan', userId, changed: [fact] });
      return result;
    });
  }

  function toLabor(rows: NonNullable<Awaited<ReturnType<PlanningRepository['labor']>>>): Labor {
    return {
      currency,
      hours: Number(rows.week.hours),
      cost: rows.week.cost,
      byUser: rows.users.map((r) => ({ userId: r.user_id!, hours: Number(r.hours), cost: r.cost, overtimeHours: Number(r.overtime) })),
      byDay: rows.days.map((r) => ({ date: r.day!, hours: Number(r.hours), cost: r.cost })),
    };
  }

  return {
    async availability(actor: Actor, userId: number): Promise<Availability> {
      await person(actor, userId);
      return { unavailable: await repo.availabilityOf(userId) };
    },

    async setAvailability(actor: Actor, userId: number, body: Availability): Promise<Availability> {
      const user = await person(actor, userId);
      ensureAllowed(planPolicy.setAvailability(actor, user), "Only the person, their managers and admins set a person's availability.");
      const windows = body.unavailable.map((w) => ({ weekday: w.weekday, fromMinute: minutesOf(w.from), toMinute: minutesOf(w.to) }));
      const saved = await writePlan(userId, 'availability', (tx) => repo.replaceAvailability(tx, userId, windows));
      if (!saved) throw notFound('user');
      return { unavailable: await repo.availabilityOf(userId) };
    },

    /** Pending when a person asks for themselves; approved when their manager or an admin enters it. */
    async requestTimeOff(actor: Actor, body: CreateTimeOffBody): Promise<TimeOff> {
      const userId = body.userId ?? actor.userId;
      const user = await person(actor, userId);
      const own = userId === actor.userId;
      ensureAllowed(own || planPolicy.manage(actor, user), 'Only the person asks for their own time off; their managers and admins enter it for them.');
      if (!user.active) throw new AppError('unprocessable', 'That person is not active.', { errors: [{ path: 'userId', message: 'is not an active user' }] });
      const status = own && actor.role !== 'admin' ? 'pending' : 'approved';
      return writePlan(userId, 'timeOff', (tx) =>
        repo.insertTimeOff(tx, { userId, startsOn: body.startsOn, endsOn: body.endsOn, note: body.note ?? null, status, createdBy: actor.userId }),
      );
    },

    async listTimeOff(actor: Actor, query: TimeOffListQuery): Promise<{ items: TimeOff[]; nextCursor: string | null }> {
      const after = query.cursor ? decodeCursor(query.cursor, TimeOffCursor) : undefined;
      // Crew see their own; managers the people who share one of their locations; admins everyone.
      const scope =
        actor.role === 'admin' ? {} : actor.role === 'manager' ? { sharingLocations: [...actor.locationIds] } : { userId: actor.userId };
      if (actor.role === 'crew' && query.userId !== undefined && query.userId !== actor.userId) return { items: [], nextCursor: null };
      const rows = await repo.listTimeOff({
        userId: query.userId,
        locationId: query.locationId,
        status: query.status,
        from: query.from,
        to: query.to,
        ...scope,
        after,
        limit: query.limit + 1,
      });
      const items = rows.slice(0, query.limit);
      const last = items.at(-1);
      return { items, nextCursor: rows.length > query.limit && last ? encodeCursor({ startsOn: last.startsOn, id: last.id }) : null };
    },

    async decideTimeOff(actor: Actor, id: number, status: 'approved' | 'denied'): Promise<TimeOff> {
      const { entry, owner } = await visibleTimeOff(actor, id);
      ensureAllowed(planPolicy.manage(actor, owner), "Only the person's managers and admins approve or deny time off.");
      return writePlan(entry.userId, 'timeOff', async (tx) => {
        const held = await repo.lockTimeOff(tx, id);
        if (!held) throw notFound('time off');
        return repo.decideTimeOff(tx, id, status, actor.userId);
      });
    },

    async deleteTimeOff(actor: Actor, id: number): Promise<void> {
      const { entry, owner } = await visibleTimeOff(actor, id);
      ensureAllowed(planPolicy.deleteTimeOff(actor, owner, entry.status), 'Once decided, time off is withdrawn by a manager.');
      await writePlan(entry.userId, 'timeOff', async (tx) => {
        const held = await repo.lockTimeOff(tx, id);
        if (!held) throw notFound('time off');
        // Decided meanwhile: the person may no longer withdraw it.
        ensureAllowed(planPolicy.deleteTimeOff(actor, owner, held.status), 'Once decided, time off is withdrawn by a manager.');
        await repo.deleteTimeOff(tx, id);
      });
    },

    async warnings(actor: Actor, scheduleId: number): Promise<RawJson> {
      return weekView(actor, scheduleId, { key: warningsKey(scheduleId), ttl: 'MEDIUM', schema: WarningsSchema, load: async () => ({ items: await repo.warnings(scheduleId) }) });
    },

    async labor(actor: Actor, scheduleId: number): Promise<RawJson> {
      return weekView(actor, scheduleId, {
        key: laborKey(scheduleId),
        ttl: 'MEDIUM',
        schema: LaborSchema,
        load: async () => {
          const rows = await repo.labor(scheduleId);
          return rows && toLabor(rows);
        },
      });
    },
  };
}

export type PlanningService = ReturnType<typeof createPlanningService>;
