import type { PresentEditor, SchedulePresence } from '../../shared/schemas/presence.js';
import type { Actor } from '../access/actor.js';
import type { Logger } from '../logger.js';
import type { SchedulesService } from '../schedules/schedules.service.js';
import type { UsersService } from '../users/users.service.js';
import type { PresenceStore } from './presence.store.js';

export interface PresenceServiceDeps {
  store: PresenceStore;
  /** Presence is for those who may change the week: the schedule's own access check decides. */
  schedules: Pick<SchedulesService, 'ensureEditable'>;
  users: Pick<UsersService, 'current'>;
  logger: Logger;
}

const byName = (a: PresentEditor, b: PresentEditor) => a.name.localeCompare(b.name) || a.id - b.id;

/**
 * "Someone else is editing this week" (docs/decisions/036). Presence is only a hint: when Redis
 * fails or is slow, the caller is told that nobody else is there rather than given an error, and
 * the outage is logged when it starts and when it ends, not on every request.
 */
export function createPresenceService({ store, schedules, users, logger }: PresenceServiceDeps) {
  let failing = false;

  async function hint<T>(run: () => Promise<T>, otherwise: T): Promise<T> {
    try {
      const value = await run();
      if (failing) {
        failing = false;
        logger.info('planner presence available again');
      }
      return value;
    } catch (err) {
      if (!failing) {
        failing = true;
        logger.warn({ err: (err as Error).message }, 'planner presence unavailable: nobody is shown as editing a week until Redis answers again');
      }
      return otherwise;
    }
  }

  return {
    /** Marks the actor as having the week open; answers who else has it open (active people only). */
    async enter(actor: Actor, scheduleId: number): Promise<SchedulePresence> {
      await schedules.ensureEditable(actor, scheduleId);
      const present = await hint(() => store.enter(scheduleId, actor.userId), []);
      const others = await Promise.all(present.filter((id) => id !== actor.userId).map((id) => users.current(id)));
      const editors = others.flatMap((user) => (user ? [{ id: user.id, name: user.name }] : []));
      return { editors: editors.sort(byName) };
    },

    /** The actor closed the week. */
    async leave(actor: Actor, scheduleId: number): Promise<void> {
      await schedules.ensureEditable(actor, scheduleId);
      await hint(() => store.leave(scheduleId, actor.userId), undefined);
    },
  };
}

export type PresenceService = ReturnType<typeof createPresenceService>;
