import { keepPreviousData, useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { http, type Query } from './http.js';
import { keys } from './keys.js';
import { fetchAllPages, preloadAllPages } from './pages.js';
import type { CreateUserInput, Page, PatchUserInput, User, UserShift } from './types.js';

export interface UserFilter extends Query {
  q?: string;
  role?: string;
  active?: string;
  locationId?: number;
}

export function useUserList(filter: UserFilter) {
  return useInfiniteQuery({
    queryKey: keys.userList(filter),
    queryFn: ({ pageParam, signal }) => http.get<Page<User>>('/users', { query: { ...filter, limit: 50, cursor: pageParam }, signal }),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor,
    // The list stays on screen while a new filter loads, instead of flashing a spinner per keystroke.
    placeholderData: keepPreviousData,
  });
}

const crewQuery = (locationId: number | null) => ({ locationId, active: true });

/** Everyone active at a location: the rows of its week grid and the choices of the shift form. */
export function useLocationCrew(locationId: number | null) {
  return useQuery({
    queryKey: keys.locationCrew(locationId ?? 0),
    queryFn: ({ signal }) => fetchAllPages<User>('/users', crewQuery(locationId), signal),
    enabled: locationId !== null,
  });
}

export const preloadLocationCrew = (locationId: number) => preloadAllPages('/users', crewQuery(locationId));

export function useSaveUser() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ id, body }: { id: number | null; body: CreateUserInput | PatchUserInput }) =>
      id === null ? http.post<User & { inviteUrl?: string }>('/users', body) : http.patch<User & { inviteUrl?: string }>(`/users/${id}`, body),
    onSuccess: (user) => {
      void queryClient.invalidateQueries({ queryKey: keys.users });
      // A renamed person appears under the new name in every schedule.
      void queryClient.invalidateQueries({ queryKey: keys.schedules });
      const me = queryClient.getQueryData<User | null>(keys.me);
      if (me?.id === user.id) queryClient.setQueryData(keys.me, user);
    },
  });
}

/** Upcoming shifts of one person, oldest first (crew see published ones only). */
export function useUserShifts(userId: number, from: string) {
  return useQuery({
    queryKey: [...keys.userShifts(userId), from],
    queryFn: ({ signal }) => fetchUserShifts(userId, { from }, signal),
  });
}

/** A person's shifts in a window, each with the location whose clock it is read on. */
export function fetchUserShifts(userId: number, window: { from?: string; to?: string }, signal?: AbortSignal): Promise<UserShift[]> {
  return fetchAllPages<UserShift>(`/users/${userId}/shifts`, window, signal);
}

/**
 * Deactivation signs the person out everywhere at once and keeps their shift history. Admins use
 * DELETE (the API's deactivation); managers, who may not, set `active` on their crew.
 */
export function useSetUserActive() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ user, active, asAdmin }: { user: User; active: boolean; asAdmin: boolean }) =>
      !active && asAdmin ? http.delete(`/users/${user.id}`) : http.patch<User>(`/users/${user.id}`, { active }).then(() => undefined),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: keys.users });
      void queryClient.invalidateQueries({ queryKey: keys.schedules });
    },
  });
}
