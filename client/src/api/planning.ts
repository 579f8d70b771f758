import { useMutation, useQueries, useQuery, useQueryClient } from '@tanstack/react-query';
import { http, type Query } from './http.js';
import { keys } from './keys.js';
import { fetchAllPages } from './pages.js';
import type { Availability, Labor, TimeOff, UserShift, Warning } from './types.js';
import { fetchUserShifts } from './users.js';

/** A week's warnings (managers): refreshed with the week, since every shift write invalidates `schedules`. */
export function useWarnings(scheduleId: number) {
  return useQuery({
    queryKey: keys.warnings(scheduleId),
    queryFn: ({ signal }) => http.get<{ items: Warning[] }>(`/schedules/${scheduleId}/warnings`, { signal }).then((r) => r.items),
  });
}

export function useLabor(scheduleId: number) {
  return useQuery({ queryKey: keys.labor(scheduleId), queryFn: ({ signal }) => http.get<Labor>(`/schedules/${scheduleId}/labor`, { signal }) });
}

export interface TimeOffFilter extends Query {
  locationId?: number;
  userId?: number;
  status?: 'pending' | 'approved' | 'denied';
  from?: string;
  to?: string;
}

export function useTimeOff(filter: TimeOffFilter, enabled = true) {
  return useQuery({
    queryKey: keys.timeOffList(filter),
    queryFn: ({ signal }) => fetchAllPages<TimeOff>('/time-off', filter, signal),
    enabled,
  });
}

/** Time off moves warnings of every week: refresh both. */
function useRefreshPlans() {
  const queryClient = useQueryClient();
  return () => {
    void queryClient.invalidateQueries({ queryKey: keys.timeOff });
    void queryClient.invalidateQueries({ queryKey: ['schedules', 'warnings'] });
    void queryClient.invalidateQueries({ queryKey: ['availability'] });
  };
}

export function useRequestTimeOff() {
  const refresh = useRefreshPlans();
  return useMutation({
    mutationFn: (body: { userId?: number; startsOn: string; endsOn: string; note?: string | null }) => http.post<TimeOff>('/time-off', body),
    onSuccess: refresh,
  });
}

export function useDecideTimeOff() {
  const refresh = useRefreshPlans();
  return useMutation({
    mutationFn: ({ id, status }: { id: number; status: 'approved' | 'denied' }) => http.patch<TimeOff>(`/time-off/${id}`, { status }),
    onSuccess: refresh,
  });
}

export function useWithdrawTimeOff() {
  const refresh = useRefreshPlans();
  return useMutation({ mutationFn: (id: number) => http.delete(`/time-off/${id}`), onSuccess: refresh });
}

export function useAvailability(userId: number) {
  return useQuery({ queryKey: keys.availability(userId), queryFn: ({ signal }) => http.get<Availability>(`/users/${userId}/availability`, { signal }) });
}

export function useSaveAvailability(userId: number) {
  const queryClient = useQueryClient();
  const refresh = useRefreshPlans();
  return useMutation({
    mutationFn: (body: Availability) => http.put<Availability>(`/users/${userId}/availability`, body),
    onSuccess: (saved) => {
      queryClient.setQueryData(keys.availability(userId), saved);
      refresh();
    },
  });
}

/** The availability of each of these people, by user id (loaded once each, then cached). */
export function useCrewAvailability(userIds: number[]) {
  return useQueries({
    queries: userIds.map((id) => ({ queryKey: keys.availability(id), queryFn: ({ signal }: { signal: AbortSignal }) => http.get<Availability>(`/users/${id}/availability`, { signal }) })),
    combine: (results) => new Map(userIds.flatMap((id, i) => (results[i]?.data ? [[id, results[i]!.data!.unavailable] as const] : []))),
  });
}

/** The shifts of people who also work elsewhere, in a window: what the caller may see of them. */
export function useShiftsElsewhere(userIds: number[], window: { from: string; to: string }) {
  return useQueries({
    queries: userIds.map((id) => ({
      queryKey: [...keys.userShifts(id), window.from, window.to],
      queryFn: ({ signal }: { signal: AbortSignal }) => fetchUserShifts(id, window, signal),
    })),
    combine: (results) => results.flatMap((r) => r.data ?? []) as UserShift[],
  });
}
