import type { Actor } from '../access/actor.js';
import { schedulePolicy } from '../access/policy.js';
import type { LiveChange } from './live.types.js';

/** The events of API.md ("Live updates"). A `notification` names its recipient and reaches that person's streams only. */
export type LiveEventName = 'schedule' | 'schedule.removed' | 'me' | 'notification' | 'session.ended' | 'reset';

export interface LiveEvent {
  name: LiveEventName;
  data: unknown;
}

/**
 * What one change means to one viewer, by their access now. A schedule carries what changed
 * (id, location, week, status, version), so a client updates or refetches just that week.
 * `user` changes are the stream's business (it re-reads its access and sends `me`), not an event here.
 */
export function eventsFor(viewer: Actor, change: LiveChange): LiveEvent | undefined {
  switch (change.kind) {
    case 'schedule': {
      const s = change.schedule;
      if (schedulePolicy.view(viewer, s)) {
        return { name: 'schedule', data: { id: s.id, locationId: s.locationId, weekStart: s.weekStart, status: s.status, version: s.version } };
      }
      // Unpublished: crew who could see the published week are told it is gone, never shown the draft.
      if (change.previousStatus === 'published' && schedulePolicy.view(viewer, { ...s, status: 'published' })) {
        return { name: 'schedule.removed', data: { id: s.id } };
      }
      return undefined;
    }
    case 'schedule.removed':
      return schedulePolicy.view(viewer, change.schedule) ? { name: 'schedule.removed', data: { id: change.schedule.id } } : undefined;
    case 'user':
      return undefined;
    case 'notification':
      return viewer.userId === change.userId ? { name: 'notification', data: change.notification } : undefined;
    default: {
      // A new kind of change must be given its events here.
      const unhandled: never = change;
      return unhandled;
    }
  }
}

/** Server-Sent Events framing: every event of one batch shares the batch's id. */
export function frame(id: string | undefined, events: readonly LiveEvent[]): string {
  let out = '';
  for (const event of events) {
    out += `${id === undefined ? '' : `id: ${id}\n`}event: ${event.name}\ndata: ${JSON.stringify(event.data)}\n\n`;
  }
  return out;
}
