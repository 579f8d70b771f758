import { MarkNotificationsReadBody, NotificationListQuery, NotificationPage } from '../../shared/schemas/notifications.js';
import { SIGNED_IN, defineRoute, noContent } from '../http/route.js';
import type { NotificationsService } from './notifications.service.js';

export function notificationsRoutes(notifications: NotificationsService) {
  return [
    defineRoute({
      method: 'get',
      path: '/notifications',
      summary: "The caller's notifications, newest first, with the unread count",
      description:
        'The signed-in person’s own notifications of the last 30 days, newest first, a page at a time; `unread=true` lists only unread ones. `unreadCount` counts every unread one, whatever the page.',
      access: SIGNED_IN,
      query: NotificationListQuery,
      success: { status: 200, schema: NotificationPage },
      handler: ({ actor, query }) => notifications.list(actor, query),
    }),
    defineRoute({
      method: 'post',
      path: '/notifications/read',
      summary: 'Mark notifications read (those named, or all)',
      description:
        'Marks the caller’s notifications read: those listed in `ids`, or all of them when `ids` is left out. Ids of notifications that are not the caller’s change nothing.',
      access: SIGNED_IN,
      body: MarkNotificationsReadBody,
      success: { status: 204, schema: null },
      handler: async ({ actor, body }) => {
        await notifications.markRead(actor, body.ids);
        return noContent();
      },
    }),
  ];
}
