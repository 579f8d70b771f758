import { useMutation } from '@tanstack/react-query';
import type { CalendarFeed } from '../../../shared/index.js';
import { http } from './http.js';

/**
 * A new secret address for the person's calendar feed. The server keeps only a hash of it, so it
 * can be shown once, right after it is made; making another stops the previous one.
 */
export function useMakeCalendarFeed() {
  return useMutation({
    mutationFn: (userId: number) => http.post<CalendarFeed>(`/users/${userId}/calendar-feed`),
  });
}

/** The feed's address for calendar apps: `https://…` to paste, `webcal://…` to open the app that subscribes. */
export function feedAddresses(url: string): { https: string; webcal: string } {
  const absolute = new URL(url, window.location.origin);
  return { https: absolute.href, webcal: absolute.href.replace(/^https?:/, 'webcal:') };
}
