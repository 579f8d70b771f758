import { useMarkRead, useNotifications } from '../../api/notifications.js';
import type { Notification } from '../../api/types.js';
import { PageHeader } from '../../app/PageHeader.js';
import { Link } from '../../app/router.js';
import { formatInstant, deviceZone } from '../../lib/time.js';
import { BusyButton } from '../../ui/BusyButton.js';
import { EmptyState, FormError, LoadError, Spinner } from '../../ui/status.js';
import { describeError } from '../../api/errors.js';

/** The inbox: the last 30 days, newest first; each one links to what it is about and is read once opened. */
export function NotificationsPage() {
  const list = useNotifications();
  const markRead = useMarkRead();

  const header = (unread: number) => (
    <PageHeader
      title="Notifications"
      subtitle={unread === 0 ? 'You are all caught up.' : `${unread} unread`}
      actions={
        unread > 0 ? (
          <BusyButton className="button button-secondary" busy={markRead.isPending} onClick={() => markRead.mutate(undefined)}>
            Mark all as read
          </BusyButton>
        ) : undefined
      }
    />
  );

  if (list.isPending) return <Spinner label="Loading your notifications" />;
  if (list.isError) return <LoadError error={list.error} what="your notifications" onRetry={() => void list.refetch()} />;

  const items = list.data.pages.flatMap((p) => p.items);
  const unread = list.data.pages[0]?.unreadCount ?? 0;
  return (
    <>
      {header(unread)}
      <FormError>{markRead.isError ? describeError(markRead.error) : null}</FormError>
      {items.length === 0 ? (
        <EmptyState title="No notifications">
          <p>Published weeks, changes to your shifts and shift requests show up here. They are kept for 30 days.</p>
        </EmptyState>
      ) : (
        <ul className="inbox">
          {items.map((n) => (
            <li key={n.id}>
              <InboxItem notification={n} onOpen={() => n.readAt === null && markRead.mutate([n.id])} />
            </li>
          ))}
        </ul>
      )}
      {list.hasNextPage && (
        <BusyButton className="button button-ghost" busy={list.isFetchingNextPage} onClick={() => void list.fetchNextPage()}>
          Show older
        </BusyButton>
      )}
    </>
  );
}

function InboxItem({ notification: n, onOpen }: { notification: Notification; onOpen: () => void }) {
  const unread = n.readAt === null;
  return (
    <Link href={n.link} className={`inbox-item${unread ? ' inbox-item-unread' : ''}`} onClick={onOpen}>
      <span className="inbox-title">
        {unread && <span className="sr-only">Unread: </span>}
        {n.title}
      </span>
      <span className="inbox-body">{n.body}</span>
      <span className="inbox-time">{formatInstant(n.createdAt, deviceZone())}</span>
    </Link>
  );
}
