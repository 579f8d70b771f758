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
  | { kind: 'schedule'; schedule: ScheduleRef; previousStatus: ScheduleStatus | null }
  /** Deleted, with the state it had. */
  | { kind: 'schedule.removed'; schedule: ScheduleRef }
  /** A person created or changed; `changed` says which of the facts others copy or check moved. */
  | { kind: 'user'; userId: number; changed: readonly UserFact[] }
  /** A location created, changed or deleted (its members' changes are declared as user changes). */
  | { kind: 'location'; locationId: number }
  /**
   * What a person's week is planned around moved: their shifts anywhere, time off, availability,
   * weekly limit or rate. No entry is the person's plan itself; entries derived from it (a
   * week's warnings and labor) declare that they copy it.
   */
  | { kind: 'plan'; userId: number; changed: readonly PlanFact[] };

/** The inputs of a person's plan that entries derived from it read. */
export type PlanFact = 'shifts' | 'timeOff' | 'availability' | 'limit' | 'rate';

/**
 * What of a person changed. `name`, `role`, `locations` and `active` are what other entries copy
 * or what open screens check; `profile` is everything only the person's own entry shows (email,
 * phone, password, a new person).
 */
export type UserFact = 'name' | 'role' | 'locations' | 'active' | 'profile';

/**
 * Data one cache entry copies from another entity: `user.name` is copied into schedules; a week's
 * warnings read `plan.*` of its people, and `schedule` (its shifts) and `location` (its zone).
 */
export type CopiedData = `user.${Exclude<UserFact, 'profile'>}` | `plan.${PlanFact}` | 'schedule' | 'location';

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
    case 'plan':
      return [];
  }
}

/** The copied data a change moved, by entity id. */
function copiedData(change: Change): Array<{ data: CopiedData; id: number }> {
  switch (change.kind) {
    case 'user':
      return change.changed.filter((fact) => fact !== 'profile').map((fact) => ({ data: `user.${fact}` as CopiedData, id: change.userId }));
    case 'plan':
      return change.changed.map((fact) => ({ data: `plan.${fact}` as CopiedData, id: change.userId }));
    case 'schedule':
    case 'schedule.removed':
      return [{ data: 'schedule', id: change.schedule.id }];
    case 'location':
      return [{ data: 'location', id: change.locationId }];
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
      case 'plan':
        // A shift change comes with its week's own `schedule` change; time off and availability
        // are not shown live.
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
