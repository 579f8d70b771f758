import type { NotificationKind } from '../../shared/schemas/notifications.js';
import type { Touched } from '../changes/write-path.js';
import type { Transaction } from '../db/client.js';
import { toNotification, type NotificationsRepository } from './notifications.repository.js';

/** What one notification says: the same words go to each of its recipients. */
export interface Notice {
  kind: NotificationKind;
  title: string;
  body: string;
  /** The app's page it is about. */
  link: string;
}

export interface Notifier {
  /**
   * Inside a write's transaction: stores the notice for each recipient (never for `except`, the
   * person who made the change) and declares it, so it reaches their open streams after the
   * commit and only then (DESIGN.md rule 10). Nothing is sent if the write rolls back.
   */
  send(tx: Transaction, touched: Touched, recipients: Iterable<number>, notice: Notice, except?: number): Promise<void>;
  /** Active members of a location with these roles, read in the writing transaction. */
  membersOf(tx: Transaction, locationId: number, roles: ReadonlyArray<'crew' | 'manager'>): Promise<number[]>;
}

export function createNotifier(repo: NotificationsRepository): Notifier {
  return {
    async send(tx, touched, recipients, notice, except) {
      const ids = [...new Set(recipients)].filter((id) => id !== except).sort((a, b) => a - b);
      const rows = await repo.insert(tx, ids.map((userId) => ({ userId, ...notice })));
      for (const row of rows) touched.add({ kind: 'notification', userId: row.userId, notification: toNotification(row) });
    },
    membersOf: (tx, locationId, roles) => repo.membersOf(tx, locationId, roles),
  };
}
