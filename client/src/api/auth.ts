import { useMutation, useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';
import { http } from './http.js';
import { keys } from './keys.js';
import type { User } from './types.js';

/**
 * The signed-in user, or null without a session. Asked of the session probe, which answers a
 * visitor with `{ user: null }`: a 401 would put an error in the browser's console on every
 * logged-out visit.
 */
export function useMe() {
  return useQuery({
    queryKey: keys.me,
    queryFn: async ({ signal }) => (await http.get<{ user: User | null }>('/auth/session', { signal, allowUnauthenticated: true })).user,
    staleTime: 60_000,
  });
}

/**
 * A new session (or none): drop everything cached for the previous one and set who is signed in.
 * The `me` query itself stays in the cache, because the app is subscribed to it.
 */
export function startSession(queryClient: QueryClient, user: User | null): void {
  queryClient.removeQueries({ predicate: (q) => q.queryKey[0] !== keys.me[0] });
  queryClient.setQueryData(keys.me, user);
}

export function useLogin() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: { email: string; password: string }) => http.post<{ user: User }>('/auth/login', body, { allowUnauthenticated: true }),
    onSuccess: ({ user }) => startSession(queryClient, user),
  });
}

export function useLogout() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => http.post<void>('/auth/logout', undefined, { allowUnauthenticated: true }),
    onSettled: () => startSession(queryClient, null),
  });
}
