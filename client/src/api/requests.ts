import { useMutation, useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';
import { http } from './http.js';
import { keys } from './keys.js';
import { fetchAllPages } from './pages.js';
import type { ShiftRequest, ShiftRequestAction } from './types.js';

/**
 * The undecided shift requests the caller may see (crew: theirs and those asked of them; managers:
 * their locations'), newest first. Only open ones are fetched: decided ones pile up over the months.
 */
export function useOpenShiftRequests(filter: { locationId?: number } = {}) {
  return useQuery({
    queryKey: keys.shiftRequestList({ ...filter, open: true }),
    queryFn: async ({ signal }) => {
      const [pending, accepted] = await Promise.all(
        (['pending', 'accepted'] as const).map((status) => fetchAllPages<ShiftRequest>('/shift-requests', { ...filter, status }, signal)),
      );
      return [...pending!, ...accepted!].sort((a, b) => b.id - a.id);
    },
  });
}

function refresh(queryClient: QueryClient) {
  void queryClient.invalidateQueries({ queryKey: keys.shiftRequests });
  void queryClient.invalidateQueries({ queryKey: keys.schedules });
  void queryClient.invalidateQueries({ queryKey: ['user-shifts'] });
}

export function useCreateShiftRequest() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: { shiftId: number; kind: 'drop' | 'swap'; toUserId?: number; note?: string }) => http.post<ShiftRequest>('/shift-requests', body),
    onSettled: () => refresh(queryClient),
  });
}

export function useAnswerShiftRequest() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ id, action }: { id: number; action: ShiftRequestAction }) => http.patch<ShiftRequest>(`/shift-requests/${id}`, { action }),
    // Whatever the answer, the list shows the request as it is now (a 409 means someone else decided it).
    onSettled: () => refresh(queryClient),
  });
}

/** Open: waiting for the colleague (a pending swap) or for a manager. */
export const isOpen = (r: ShiftRequest) => r.status === 'pending' || r.status === 'accepted';
/** Waiting for a manager: a drop asked, or a swap the colleague accepted. */
export const awaitsManager = (r: ShiftRequest) => (r.kind === 'drop' && r.status === 'pending') || (r.kind === 'swap' && r.status === 'accepted');
