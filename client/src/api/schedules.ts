import { useMutation, useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';
import { isApiError } from './errors.js';
import { http, preload } from './http.js';
import { keys } from './keys.js';
import { fetchAllPages } from './pages.js';
import type { CreatedSchedule, CreateScheduleInput, CreateShiftInput, LocationWeek, PatchShiftInput, Schedule, ScheduleSummary, Shift } from './types.js';

/** The schedule summaries of a location, newest week first. */
export function useScheduleList(locationId: number | null, status?: 'published' | 'draft') {
  const filter = { locationId: locationId ?? undefined, status };
  return useQuery({
    queryKey: keys.scheduleList(filter),
    queryFn: ({ signal }) => fetchAllPages<ScheduleSummary>('/schedules', filter, signal),
    enabled: locationId !== null,
  });
}

export function useSchedule(id: number | null) {
  return useQuery({
    queryKey: keys.schedule(id ?? 0),
    queryFn: ({ signal }) => http.get<Schedule>(`/schedules/${id}`, { signal }),
    enabled: id !== null,
  });
}

const weekPath = (locationId: number, weekStart: string) => `/locations/${locationId}/weeks/${weekStart}`;

/**
 * A location's week as the planner shows it: the schedule with its shifts (null while there is
 * none) and the previous week's summary, in one request.
 */
export function useLocationWeek(locationId: number, weekStart: string) {
  return useQuery({
    queryKey: keys.week(locationId, weekStart),
    queryFn: ({ signal }) => http.get<LocationWeek>(weekPath(locationId, weekStart), { signal }),
  });
}

export const preloadLocationWeek = (locationId: number, weekStart: string) => preload(weekPath(locationId, weekStart));

/** Puts a schedule as it now is (or none) into its week, so the planner shows it at once. */
function setWeekSchedule(queryClient: QueryClient, at: { locationId: number; weekStart: string }, schedule: Schedule | null) {
  queryClient.setQueryData<LocationWeek>(keys.week(at.locationId, at.weekStart), (week) => week && { ...week, schedule });
}

function refreshSchedules(queryClient: QueryClient, schedule?: Schedule) {
  if (schedule) {
    queryClient.setQueryData(keys.schedule(schedule.id), schedule);
    setWeekSchedule(queryClient, schedule, schedule);
  }
  void queryClient.invalidateQueries({ queryKey: keys.schedules });
  void queryClient.invalidateQueries({ queryKey: ['user-shifts'] });
}

export function useCreateSchedule() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: CreateScheduleInput) => http.post<CreatedSchedule>('/schedules', body),
    onSuccess: (created) => {
      const { skipped: _skipped, ...schedule } = created;
      refreshSchedules(queryClient, schedule);
    },
    // Someone else started this week meanwhile: show theirs.
    onError: (err) => {
      if (isApiError(err, 'schedule_exists')) refreshSchedules(queryClient);
    },
  });
}

export function useSetScheduleStatus() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ id, status, version }: { id: number; status: 'draft' | 'published'; version: number }) =>
      http.patch<Schedule>(`/schedules/${id}`, { status }, version),
    onSuccess: (schedule) => refreshSchedules(queryClient, schedule),
    // Someone changed the week meanwhile: show it as it is, so the next press is on the current week.
    onError: (err) => {
      if (isApiError(err, 'version_mismatch')) refreshSchedules(queryClient);
    },
  });
}

export function useDeleteSchedule() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ id, version }: { id: number; version: number }) => http.delete(`/schedules/${id}`, version),
    onError: (err) => {
      if (isApiError(err, 'version_mismatch')) refreshSchedules(queryClient);
    },
    onSuccess: (_void, { id }) => {
      const weeks = queryClient.getQueriesData<LocationWeek>({ queryKey: [keys.schedules[0], 'week'] });
      for (const [, week] of weeks) if (week?.schedule?.id === id) setWeekSchedule(queryClient, week.schedule, null);
      queryClient.removeQueries({ queryKey: keys.schedule(id) });
      refreshSchedules(queryClient);
    },
  });
}

/** Updates and deletes name the shift's `version` they were made on (sent as `If-Match`). */
export type ShiftWrite =
  | { kind: 'create'; scheduleId: number; body: CreateShiftInput }
  | { kind: 'update'; scheduleId: number; shiftId: number; version: number; body: PatchShiftInput }
  | { kind: 'delete'; scheduleId: number; shiftId: number; version: number };

export function useWriteShift() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (write: ShiftWrite): Promise<Shift | void> => {
      const base = `/schedules/${write.scheduleId}/shifts`;
      if (write.kind === 'create') return http.post<Shift>(base, write.body);
      if (write.kind === 'update') return http.patch<Shift>(`${base}/${write.shiftId}`, write.body, write.version);
      return http.delete(`${base}/${write.shiftId}`, write.version);
    },
    // A 412 means the week moved on: load it, so the grid behind the dialog shows the other change.
    onSettled: (_result, err) => {
      if (!err || isApiError(err, 'version_mismatch')) refreshSchedules(queryClient);
    },
  });
}

export function useClaimShift() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ scheduleId, shiftId }: { scheduleId: number; shiftId: number }) =>
      http.post<Shift>(`/schedules/${scheduleId}/shifts/${shiftId}/claim`),
    onSettled: () => refreshSchedules(queryClient),
  });
}
