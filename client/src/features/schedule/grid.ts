import type { Schedule, Shift, User } from '../../api/types.js';
import { hoursBetween, localDate, weekDates } from '../../lib/time.js';

export interface GridRow {
  key: string;
  /** null: the open-shifts row. */
  userId: number | null;
  name: string;
  detail: string | null;
  /** Shifts by local date (YYYY-MM-DD). */
  days: Map<string, Shift[]>;
  hours: number;
}

/**
 * The week as rows: open shifts first, then everyone at the location by name, then anyone who
 * still has shifts this week but is no longer on the location's active crew.
 */
export function buildRows(schedule: Schedule, crew: User[], locationId: number, zone: string): GridRow[] {
  const rows = new Map<number | null, GridRow>();
  const row = (userId: number | null, name: string, detail: string | null): GridRow => ({ key: String(userId ?? 'open'), userId, name, detail, days: new Map(), hours: 0 });

  rows.set(null, row(null, 'Open shifts', 'Anyone at the location can take these'));
  for (const person of [...crew].sort((a, b) => a.name.localeCompare(b.name))) {
    const position = person.memberships.find((m) => m.locationId === locationId)?.position ?? null;
    rows.set(person.id, row(person.id, person.name, position));
  }
  for (const shift of schedule.shifts) {
    if (!rows.has(shift.userId)) rows.set(shift.userId, row(shift.userId, shift.userName ?? 'Former crew member', 'No longer on this location’s crew'));
    const target = rows.get(shift.userId)!;
    const date = localDate(shift.startsAt, zone);
    target.days.set(date, [...(target.days.get(date) ?? []), shift]);
    target.hours += hoursBetween(shift.startsAt, shift.endsAt);
  }
  return [...rows.values()];
}

/** Hours scheduled per day of the week (by the day each shift starts), assigned and open alike. */
export function hoursPerDay(schedule: Schedule, zone: string): Map<string, number> {
  const totals = new Map(weekDates(schedule.weekStart).map((d) => [d, 0]));
  for (const shift of schedule.shifts) {
    const date = localDate(shift.startsAt, zone);
    totals.set(date, (totals.get(date) ?? 0) + hoursBetween(shift.startsAt, shift.endsAt));
  }
  return totals;
}

/** Positions worth suggesting in the shift form: those of the crew and those already planned. */
export function knownPositions(schedule: Schedule, crew: User[], locationId: number): string[] {
  const all = new Set<string>();
  for (const p of crew) for (const m of p.memberships) if (m.locationId === locationId && m.position) all.add(m.position);
  for (const s of schedule.shifts) all.add(s.position);
  return [...all].sort((a, b) => a.localeCompare(b));
}
