import type { Notification } from '../../shared/schemas/notifications.js';

/**
 * What a committed write tells the live-update side (DESIGN.md rule 10, "Live updates"). The write
 * path declares what a change touched once; cache invalidation and these changes both come from
 * that declaration. The event stream turns each change into the API's events for each open
 * stream, checking the stream's access at delivery.
 */

export type ScheduleStatus = 'draft' | 'published';

export interface ScheduleRef {
  id: number;
  locationId: number;
  /** YYYY-MM-DD, a Monday. */
  weekStart: string;
  status: ScheduleStatus;
  version: number;
}

export type LiveChange =
  /** Created, published, unpublished, or one of its shifts added, changed, deleted or claimed. `previousStatus` is null for a new schedule. */
  | { kind: 'schedule'; schedule: ScheduleRef; previousStatus: ScheduleStatus | null }
  /** Deleted (the status is the one it had). */
  | { kind: 'schedule.removed'; schedule: ScheduleRef }
  /** A person's name, role, locations or active flag changed. */
  | { kind: 'user'; userId: number }
  /** A notification for one person (API.md, Notification): sent to that person's streams only. */
  | { kind: 'notification'; userId: number; notification: Notification };

export interface LivePublisher {
  /** After the transaction committed. Never throws: a failure is counted and logged, and streams recover by `reset`. */
  publish(changes: readonly LiveChange[]): Promise<void>;
}

/** For an app built without live updates (some unit tests): changes go nowhere. */
export const silentPublisher: LivePublisher = { publish: async () => {} };
