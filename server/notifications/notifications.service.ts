import { z } from 'zod';
import { Id } from '../../shared/schemas/common.js';
import type { NotificationListQuery, NotificationPage } from '../../shared/schemas/notifications.js';
import type { Actor } from '../access/actor.js';
import type { WritePath } from '../changes/write-path.js';
import { decodeCursor, encodeCursor } from '../http/cursor.js';
import { toNotification, type NotificationsRepository } from './notifications.repository.js';

const NotificationCursor = z.strictObject({ id: Id });

export function createNotificationsService({ repo, writes }: { repo: NotificationsRepository; writes: WritePath }) {
  return {
    /** The caller's own, newest first, with their unread count. */
    async list(actor: Actor, query: NotificationListQuery): Promise<NotificationPage> {
      const before = query.cursor ? decodeCursor(query.cursor, NotificationCursor).id : undefined;
      const [rows, unreadCount] = await Promise.all([
        repo.list(actor.userId, { unread: query.unread, before, limit: query.limit + 1 }),
        repo.unreadCount(actor.userId),
      ]);
      const items = rows.slice(0, query.limit).map(toNotification);
      const last = items.at(-1);
      return { items, nextCursor: rows.length > query.limit && last ? encodeCursor({ id: last.id }) : null, unreadCount };
    },

    /** Marks the caller's notifications read: those named (others' ids change nothing), or all. */
    async markRead(actor: Actor, ids?: readonly number[]): Promise<void> {
      await writes.run((tx) => repo.markRead(tx, actor.userId, ids));
    },
  };
}

export type NotificationsService = ReturnType<typeof createNotificationsService>;
