import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { http } from './http.js';
import { keys } from './keys.js';
import type { NotificationPage } from './types.js';

/** The unread count for the bell: one small page whose `unreadCount` counts them all. */
export function useUnreadCount() {
  return useQuery({
    queryKey: [...keys.notifications, 'unread'],
    queryFn: ({ signal }) => http.get<NotificationPage>('/notifications', { query: { unread: true, limit: 1 }, signal }),
    select: (page) => page.unreadCount,
  });
}

/** The inbox, newest first, a page at a time. */
export function useNotifications() {
  return useInfiniteQuery({
    queryKey: [...keys.notifications, 'list'],
    queryFn: ({ pageParam, signal }) => http.get<NotificationPage>('/notifications', { query: { limit: 30, cursor: pageParam }, signal }),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor,
  });
}

export function useMarkRead() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (ids?: number[]) => http.post<void>('/notifications/read', ids ? { ids } : {}),
    onSettled: () => void queryClient.invalidateQueries({ queryKey: keys.notifications }),
  });
}
