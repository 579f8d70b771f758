import type { Notification } from '../../shared/schemas/notifications.js';
import type { Cache, CacheKey } from '../cache/cache.js';
import type { LiveChange, LivePublisher, ScheduleRef, ScheduleStatus } from '../live/live.types.js';
import type { Logger } from '../logger.js';
import type { WriteMetrics } from '../metrics/metrics.js';

/**
 * What a committed write touched, said once by the service that made it (DESIGN.md rule 10). The
 * cache keys to drop and the live changes to publish are both derived from this one declaration
 * here, so no write can invalidate without notifying, or the reverse.
 */
export type Change =
  /** Created, published, unpublished, or one of its shifts added, changed, deleted or claimed. */
  | { kind: 'schedule'; schedule: ScheduleRef; previousStatus: ScheduleStatus | null; people: readonly ShiftHolder[] }
  /** Deleted, with the state it had. */
  | { kind: 'schedule.removed'; schedule: ScheduleRef; people: readonly ShiftHolder[] }
  /** A person created or changed; `changed` says which of the facts others copy or check moved. */
  | { kind: 'user'; userId: number; changed: readonly UserFact[] }
  /** A location created, changed or deleted (its members' changes are declared as user changes). */
  | { kind: 'location'; locationId: number }
  /** A notification for one person, written in the same transaction; it reaches only their streams. */
  | { kind: 'notification'; userId: number; notification: Notification }
  /** A person's calendar feed made or given a new token: the old address stops answering at once. */
  | { kind: 'calendar-feed'; userId: number };

/**
 * Whose shifts a schedule change touched, as `userId`s of shifts (null: an open shift, nobody's):
 * a shift's person before and after the change (both ends of a move), or, when the week as a
 * whole changed (published, unpublished, copied, deleted), everyone with a shift in it. What is
 * built from a person's shifts across locations (their calendar feed) is found from these.
 */
export type ShiftHolder = number | null;

/**
 * What of a person changed. `name`, `role`, `locations` and `active` are what other entries copy
 * or what open screens check; `profile` is everything only the person's own entry shows (email,
 * phone, password, a new person).
 */
export type UserFact = 'name' | 'role' | 'locations' | 'active' | 'profile';

/**
 * Data one cache entry copies from another entity's row: `user.name` is copied into schedules;
 * `user.shifts` (a person's shifts, at any location) into their calendar feed; `location.details`
 * (name, address, zone) into the feeds that show the location's shifts.
 */
export type CopiedData = `user.${Exclude<UserFact, 'profile'>}` | 'user.shifts' | 'location.details';

/** The entries that hold a copy of that data of entity `id` (looked up after the commit). */
export type CopyHolders = (id: number) => Promise<readonly CacheKey[]>;

export interface ChangeFeed {
  /**
   * Declared beside the loader whose entries copy `data` (e.g. the schedule loader copies user
   * names), so that the services that change the data need not know who copies it.
   */
  copies(data: CopiedData, holders: CopyHolders): void;
  /**
   * After the transaction committed: drop the entries the changes made stale, then publish them to
   * live streams (in that order, so a client refetching on the event reads the new state). Never
   * throws: a step that fails is counted and logged, and a cache that cannot be told exactly
   * what went stale is invalidated as a whole.
   */
  committed(changes: readonly Change[]): Promise<void>;
  /** The invalidation alone, for a commit whose outcome is unknown (the connection died on COMMIT). */
  invalidate(changes: readonly Change[]): Promise<void>;
}

export interface ChangeFeedDeps {
  cache: Cache;
  live: LivePublisher;
  logger: Logger;
  metrics: WriteMetrics;
}

const scheduleKey = (id: number): CacheKey => ({ namespace: 'schedule', id });
const userKey = (id: number): CacheKey => ({ namespace: 'user', id });
const locationKey = (id: number): CacheKey => ({ namespace: 'location', id });
/** A person's calendar feed, by their id (server/calendar/). */
export const calendarFeedKey = (userId: number): CacheKey => ({ namespace: 'calendar', id: userId });

/** The entries that are the changed entities themselves. */
function ownKeys(change: Change): CacheKey[] {
  switch (change.kind) {
    case 'schedule':
    case 'schedule.removed':
      return [scheduleKey(change.schedule.id)];
    case 'user':
      return [userKey(change.userId)];
    case 'location':
      return [locationKey(change.locationId)];
    case 'notification':
      // The inbox is read from Postgres, never cached.
      return [];
    case 'calendar-feed':
      return [calendarFeedKey(change.userId)];
  }
}

/** The copied data a change moved, by entity id. */
function copiedData(change: Change): Array<{ data: CopiedData; id: number }> {
  switch (change.kind) {
    case 'user':
      return change.changed.filter((fact) => fact !== 'profile').map((fact) => ({ data: `user.${fact}` as CopiedData, id: change.userId }));
    case 'schedule':
    case 'schedule.removed':
      return [...new Set(change.people)].flatMap((id) => (id === null ? [] : [{ data: 'user.shifts' as const, id }]));
    case 'location':
      return [{ data: 'location.details', id: change.locationId }];
    case 'calendar-feed':
    case 'notification':
      return [];
  }
}

/** What open screens hear of a change (server/live/live.types.ts). */
export function liveChangesOf(changes: readonly Change[]): LiveChange[] {
  const out: LiveChange[] = [];
  for (const change of changes) {
    switch (change.kind) {
      case 'schedule':
        out.push({ kind: 'schedule', schedule: change.schedule, previousStatus: change.previousStatus });
        break;
      case 'schedule.removed':
        out.push({ kind: 'schedule.removed', schedule: change.schedule });
        break;
      case 'user':
        if (change.changed.some((fact) => fact !== 'profile')) out.push({ kind: 'user', userId: change.userId });
        break;
      case 'location':
        // No screen shows a location's own fields live; its members' changes come as user changes.
        break;
      case 'notification':
        out.push({ kind: 'notification', userId: change.userId, notification: change.notification });
        break;
      case 'calendar-feed':
        // Only calendar apps read it, and they poll.
        break;
    }
  }
  return out;
}

export function createChangeFeed({ cache, live, logger, metrics }: ChangeFeedDeps): ChangeFeed {
  const holders = new Map<CopiedData, CopyHolders[]>();
  const log = logger.child({ component: 'changes' });

  function failed(step: 'copies' | 'live', err: unknown, changes: readonly Change[]): void {
    metrics.followUpFailures.inc({ step });
    log.warn({ err, step, changes: changes.map((c) => c.kind) }, `a committed write's ${step} step failed`);
  }

  async function invalidate(changes: readonly Change[]): Promise<void> {
    const keys = new Map<string, CacheKey>();
    const add = (key: CacheKey) => keys.set(`${key.namespace}:${key.id}`, key);
    for (const change of changes) ownKeys(change).forEach(add);
    let complete = true;
    const lookups = changes.flatMap(copiedData).flatMap(({ data, id }) => (holders.get(data) ?? []).map((find) => find(id)));
    for (const lookup of await Promise.allSettled(lookups)) {
      if (lookup.status === 'fulfilled') lookup.value.forEach(add);
      else {
        complete = false;
        failed('copies', lookup.reason, changes);
      }
    }
    await cache.invalidate([...keys.values()]);
    // Some copies could not be found: no entry of any kind may outlive this write.
    if (!complete) cache.invalidateAll();
  }

  return {
    copies(data, find) {
      holders.set(data, [...(holders.get(data) ?? []), find]);
    },
    invalidate,
    async committed(changes) {
      if (changes.length === 0) return;
      await invalidate(changes);
      const events = liveChangesOf(changes);
      if (events.length === 0) return;
      try {
        await live.publish(events);
      } catch (err) {
        failed('live', err, changes);
      }
    },
  };
}
