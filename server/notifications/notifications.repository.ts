import { and, desc, eq, inArray, isNull, lt, sql } from 'drizzle-orm';
import { NOTIFICATION_RETENTION_DAYS, type Notification, type NotificationKind } from '../../shared/schemas/notifications.js';
import type { Database, Transaction } from '../db/client.js';
import { locationMembers, notifications, users, type NotificationRow } from '../db/schema.js';

export interface NotificationValues {
  userId: number;
  kind: NotificationKind;
  title: string;
  body: string;
  link: string;
}

type Query = Database | Transaction;

export function toNotification(row: NotificationRow): Notification {
  return {
    id: row.id,
    kind: row.kind as NotificationKind,
    title: row.title,
    body: row.body,
    link: row.link,
    createdAt: row.createdAt.toISOString(),
    readAt: row.readAt?.toISOString() ?? null,
  };
}

/** Rows older than the retention are never listed, whether or not the sweep has removed them yet. */
const kept = () => sql`${notifications.createdAt} > now() - make_interval(days => ${NOTIFICATION_RETENTION_DAYS})`;

export function createNotificationsRepository(db: Database) {
  return {
    /** Written in the transaction of the change they tell about. */
    async insert(tx: Transaction, rows: readonly NotificationValues[]): Promise<NotificationRow[]> {
      if (rows.length === 0) return [];
      return tx.insert(notifications).values([...rows]).returning();
    },

    /** One person's, newest first (keyset by id). */
    async list(userId: number, filter: { unread?: boolean; before?: number; limit: number }): Promise<NotificationRow[]> {
      return db
        .select()
        .from(notifications)
        .where(
          and(
            eq(notifications.userId, userId),
            kept(),
            filter.unread === undefined ? undefined : filter.unread ? isNull(notifications.readAt) : sql`${notifications.readAt} is not null`,
            filter.before === undefined ? undefined : lt(notifications.id, filter.before),
          ),
        )
        .orderBy(desc(notifications.id))
        .limit(filter.limit);
    },

    async unreadCount(userId: number): Promise<number> {
      const [row] = await db
        .select({ n: sql<number>`count(*)::int` })
        .from(notifications)
        .where(and(eq(notifications.userId, userId), isNull(notifications.readAt), kept()));
      return row?.n ?? 0;
    },

    /** Marks the person's own unread notifications read (those named, or all); others' ids are ignored. */
    async markRead(tx: Transaction, userId: number, ids?: readonly number[]): Promise<number> {
      const rows = await tx
        .update(notifications)
        .set({ readAt: sql`now()` })
        .where(and(eq(notifications.userId, userId), isNull(notifications.readAt), ids ? inArray(notifications.id, [...ids]) : undefined))
        .returning({ id: notifications.id });
      return rows.length;
    },

    /**
     * Removes up to `batch` notifications created before `cutoff`. Rows another instance's sweep
     * holds are skipped, not waited for, so sweeps on several instances never queue on each other.
     */
    async deleteOlderThan(cutoff: Date, batch: number): Promise<number> {
      const result = await db.execute(sql`
        delete from ${notifications} where ${notifications.id} in (
          select ${notifications.id} from ${notifications}
          where ${notifications.createdAt} < ${cutoff.toISOString()}::timestamptz
          order by ${notifications.id}
          limit ${batch}
          for update skip locked
        ) returning ${notifications.id}`);
      // Both drivers answer execute() with `{ rows }`.
      return (result as unknown as { rows: unknown[] }).rows.length;
    },

    /** Active members of a location with one of these roles, read in the writing transaction. */
    async membersOf(q: Query, locationId: number, roles: ReadonlyArray<'crew' | 'manager'>): Promise<number[]> {
      const rows = await q
        .select({ id: users.id })
        .from(locationMembers)
        .innerJoin(users, eq(users.id, locationMembers.userId))
        .where(and(eq(locationMembers.locationId, locationId), eq(users.active, true), inArray(users.role, [...roles])));
      return rows.map((r) => r.id);
    },
  };
}

export type NotificationsRepository = ReturnType<typeof createNotificationsRepository>;
