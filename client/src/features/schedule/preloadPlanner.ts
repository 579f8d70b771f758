import { preloadLocations } from '../../api/locations.js';
import { preloadLocationWeek } from '../../api/schedules.js';
import { preloadLocationCrew } from '../../api/users.js';
import { storedLocation } from '../locations/chosenLocation.js';

/**
 * The planner's reads, started with the session probe on a cold load (app/preload.ts): the
 * locations, and for the location the address names (else the one last looked at here) its crew
 * and its week. These are the requests PlannerPage and WeekPlan make for the same addresses, so
 * they take these answers instead of sending their own (http.ts, preload). Which week is "this
 * week" depends on the location's zone: remembered with the location; without it, the week waits
 * for the locations, as it must.
 *
 * Kept out of the planner's chunk, and free of luxon, so the main bundle stays small.
 */
export function preloadPlanner(params: URLSearchParams): void {
  preloadLocations();
  const stored = storedLocation();
  const id = params.get('location') ?? stored?.id ?? null;
  if (!id || !/^[1-9]\d{0,9}$/.test(id)) return;
  preloadLocationCrew(Number(id));
  const asked = params.get('week');
  const zone = stored?.id === id ? stored.timezone : null;
  const week = asked !== null && isMondayDate(asked) ? asked : zone ? mondayIn(zone, new Date()) : null;
  if (week) preloadLocationWeek(Number(id), week);
}

/** YYYY-MM-DD naming a real Monday (lib/time's isMonday, without luxon). */
export function isMondayDate(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === value && date.getUTCDay() === 1;
}

/** The Monday of the week `now` falls in, in `zone` (lib/time's thisMonday, without luxon); null for an unknown zone. */
export function mondayIn(zone: string, now: Date): string | null {
  let parts: Intl.DateTimeFormatPart[];
  try {
    parts = new Intl.DateTimeFormat('en-US', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(now);
  } catch {
    return null;
  }
  const part = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const local = new Date(Date.UTC(part('year'), part('month') - 1, part('day')));
  local.setUTCDate(local.getUTCDate() - ((local.getUTCDay() + 6) % 7));
  return local.toISOString().slice(0, 10);
}
