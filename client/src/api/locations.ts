import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { http } from './http.js';
import { keys } from './keys.js';
import { fetchAllPages, preloadAllPages } from './pages.js';
import type { CreateLocationInput, Location, PatchLocationInput } from './types.js';

/** Admins get every location; everyone else their own. */
export function useLocations() {
  return useQuery({
    queryKey: keys.locations,
    queryFn: ({ signal }) => fetchAllPages<Location>('/locations', {}, signal),
    staleTime: 5 * 60_000,
  });
}

export const preloadLocations = () => preloadAllPages('/locations');

export function useSaveLocation() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ id, body }: { id: number | null; body: CreateLocationInput | PatchLocationInput }) =>
      id === null ? http.post<Location>('/locations', body) : http.patch<Location>(`/locations/${id}`, body),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: keys.locations }),
  });
}

export function useDeleteLocation() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: number) => http.delete(`/locations/${id}`),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: keys.locations }),
  });
}
