import { z } from 'zod';
import { BooleanParam, Cursor, Id, Instant, Limit } from './common.js';

/**
 * What a notification is about (API.md, "Shift requests, notifications, calendar"):
 * - `schedule_published`: a week one has shifts in was published;
 * - `shift_changed`: one's own shift in a published week was added, changed, given away or removed;
 * - `open_shift`: an open shift was posted in a published week of one's location;
 * - `shift_request`: a shift request needs one's answer, or one's request was answered.
 */
export const NOTIFICATION_KINDS = ['schedule_published', 'shift_changed', 'open_shift', 'shift_request'] as const;
export const NotificationKind = z.enum(NOTIFICATION_KINDS);
export type NotificationKind = z.infer<typeof NotificationKind>;

/** Notifications are kept this long; older ones are neither listed nor kept. */
export const NOTIFICATION_RETENTION_DAYS = 30;

export const Notification = z
  .strictObject({
    id: Id,
    kind: NotificationKind,
    title: z.string(),
    body: z.string(),
    link: z.string().meta({ description: 'The page of the app this is about, a path such as `/my-shifts`' }),
    createdAt: Instant,
    readAt: Instant.nullable(),
  })
  .meta({ id: 'Notification' });
export type Notification = z.infer<typeof Notification>;

export const NotificationListQuery = z.strictObject({
  unread: BooleanParam.optional().meta({ description: '`true`: unread ones only; `false`: read ones only' }),
  limit: Limit,
  cursor: Cursor.optional(),
});
export type NotificationListQuery = z.infer<typeof NotificationListQuery>;

export const NotificationPage = z
  .strictObject({
    items: z.array(Notification),
    nextCursor: z.string().nullable().meta({ description: 'Pass as `cursor` for the next page; null on the last page' }),
    unreadCount: z.number().int().min(0).meta({ description: 'How many of the caller’s notifications are unread, on every page' }),
  })
  .meta({ id: 'NotificationPage' });
export type NotificationPage = z.infer<typeof NotificationPage>;

export const MarkNotificationsReadBody = z
  .strictObject({
    ids: z.array(Id).min(1, 'name at least one notification, or leave ids out to mark all').max(500, 'at most 500 at a time').optional(),
  })
  .meta({ id: 'MarkNotificationsReadBody' });
export type MarkNotificationsReadBody = z.infer<typeof MarkNotificationsReadBody>;
