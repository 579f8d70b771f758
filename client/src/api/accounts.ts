import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { AccessLinkCreated, AccessLinkInfo, SetupStatus } from '../../../shared/schemas/accounts.js';
import { startSession } from './auth.js';
import { http } from './http.js';
import { keys } from './keys.js';
import type { User } from './types.js';

/** First run and one-time links (API.md, "First run and accounts"). */

export function useSetupStatus() {
  return useQuery({
    queryKey: ['setup'],
    queryFn: ({ signal }) => http.get<SetupStatus>('/setup', { signal, allowUnauthenticated: true }),
    staleTime: 30_000,
  });
}

export interface SetupInput {
  token: string;
  name: string;
  email: string;
  password: string;
  demoData: boolean;
}

/** Creates the first admin and signs them in. */
export function useSetup() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: SetupInput) => http.post<{ user: User }>('/setup', body, { allowUnauthenticated: true }),
    onSuccess: ({ user }) => startSession(queryClient, user),
  });
}

/** Whose link it is: 404 unknown, 410 used or expired. */
export function useAccessLink(token: string) {
  return useQuery({
    queryKey: ['access-link', token],
    queryFn: ({ signal }) => http.get<AccessLinkInfo>(`/access-links/${encodeURIComponent(token)}`, { signal, allowUnauthenticated: true }),
    enabled: token !== '',
    retry: false,
    staleTime: Infinity,
  });
}

/** Chooses the password through a link; the person is signed in from then on. */
export function useAcceptAccessLink(token: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (password: string) => http.post<{ user: User }>(`/access-links/${encodeURIComponent(token)}`, { password }, { allowUnauthenticated: true }),
    onSuccess: ({ user }) => startSession(queryClient, user),
  });
}

/** A new invite or reset link for someone (it replaces their previous one). */
export function useIssueAccessLink() {
  return useMutation({
    mutationFn: (user: User) => http.post<AccessLinkCreated>(`/users/${user.id}/access-link`),
  });
}

export function useChangePassword() {
  return useMutation({
    mutationFn: (body: { currentPassword: string; newPassword: string }) => http.post<void>('/auth/password', body),
  });
}

export function useSignOutOthers() {
  return useMutation({ mutationFn: () => http.post<void>('/auth/logout-others') });
}

/** Saves one's own name and phone. */
export function useSaveProfile() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ id, name, phone }: { id: number; name: string; phone: string | null }) => http.patch<User>(`/users/${id}`, { name, phone }),
    onSuccess: (user) => {
      queryClient.setQueryData(keys.me, user);
      void queryClient.invalidateQueries({ queryKey: keys.users });
      void queryClient.invalidateQueries({ queryKey: keys.schedules });
    },
  });
}
