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
    queryFn: async ({ signal }) => {
      const { user } = await http.get<{ user: User | null }>('/auth/session', { signal, allowUnauthenticated: true });
      rememberRole(user);
      return user;
    },
    staleTime: 60_000,
  });
}

const ROLE_KEY = 'crewplots.role';

/**
 * The role of whoever was signed in on this device when last seen: a guess, used only to start a
 * screen's reads alongside the session probe (app/preload.ts). The session itself stays the cookie's.
 */
export function lastRole(): User['role'] | null {
  try {
    const role = localStorage.getItem(ROLE_KEY);
    return role === 'admin' || role === 'manager' || role === 'crew' ? role : null;
  } catch {
    return null;
  }
}

function rememberRole(user: User | null): void {
  try {
    if (user) localStorage.setItem(ROLE_KEY, user.role);
    else localStorage.removeItem(ROLE_KEY);
  } catch {
    // Storage refused (private browsing): screens then load after the session probe, as they did.
  }
}

/**
 * A new session (or none): drop everything cached for the previous one and set who is signed in.
 * The `me` query itself stays in the cache, because the app is subscribed to it.
 */
export function startSession(queryClient: QueryClient, user: User | null): void {
  queryClient.removeQueries({ predicate: (q) => q.queryKey[0] !== keys.me[0] });
  queryClient.setQueryData(keys.me, user);
  rememberRole(user);
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
