import type { Schedule, Shift, TimeOff, UnavailableWindow, User, UserShift, Warning } from '../../api/types.js';
import { hoursBetween, localDate, weekDates } from '../../lib/time.js';

/** What the planner shows around the week's own shifts. */
export interface PlanContext {
  warnings: Map<number, Warning[]>;
  /** Approved and pending time off of the location's people that touches the week. */
  timeOff: TimeOff[];
  availability: Map<number, UnavailableWindow[]>;
  /** The people's shifts at other locations this week (as far as the caller may see them). */
  elsewhere: UserShift[];
  locationNames: Map<number, string>;
}

/** Why a person's day is shaded. */
export interface DayNote {
  kind: 'off' | 'asked' | 'unavailable';
  label: string;
}

export interface GridRow {
  key: string;
  /** null: the open-shifts row. */
  userId: number | null;
  name: string;
  detail: string | null;
  /** Shifts by local date (YYYY-MM-DD). */
  days: Map<string, Shift[]>;
  hours: number;
  /** Time off or unavailable hours, by local date. */
  notes: Map<string, DayNote>;
  /** Shifts at other locations, greyed, by local date. */
  elsewhere: Map<string, UserShift[]>;
}

/**
 * The week as rows: open shifts first, then everyone at the location by name, then anyone who
 * still has shifts this week but is no longer on the location's active crew.
 */
export function buildRows(schedule: Schedule, crew: User[], locationId: number, zone: string, plan?: PlanContext): GridRow[] {
  const rows = new Map<number | null, GridRow>();
  const row = (userId: number | null, name: string, detail: string | null): GridRow => ({
    key: String(userId ?? 'open'),
    userId,
    name,
    detail,
    days: new Map(),
    hours: 0,
    notes: new Map(),
    elsewhere: new Map(),
  });

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
  if (plan) addPlan(rows, schedule, zone, plan);
  return [...rows.values()];
}

/** Shades each person's days off and unavailable days, and lays their shifts elsewhere beside their own. */
function addPlan(rows: Map<number | null, GridRow>, schedule: Schedule, zone: string, plan: PlanContext): void {
  const dates = weekDates(schedule.weekStart);
  for (const [i, date] of dates.entries()) {
    for (const [userId, windows] of plan.availability) {
      const today = windows.filter((w) => w.weekday === i + 1);
      if (today.length === 0) continue;
      const whole = today.some((w) => w.from === '00:00' && w.to === '24:00');
      const label = whole ? 'Unavailable' : `Unavailable ${today.map((w) => `${w.from}–${w.to}`).join(', ')}`;
      rows.get(userId)?.notes.set(date, { kind: 'unavailable', label });
    }
  }
  // Time off wins over availability; approved over asked.
  for (const entry of [...plan.timeOff].sort((a, b) => (a.status === 'approved' ? 1 : 0) - (b.status === 'approved' ? 1 : 0))) {
    if (entry.status === 'denied') continue;
    for (const date of dates) {
      if (date < entry.startsOn || date > entry.endsOn) continue;
      rows.get(entry.userId)?.notes.set(date, entry.status === 'approved' ? { kind: 'off', label: 'Time off' } : { kind: 'asked', label: 'Asked for time off' });
    }
  }
  for (const shift of plan.elsewhere) {
    const target = rows.get(shift.userId);
    if (!target || shift.locationId === schedule.locationId) continue;
    const date = localDate(shift.startsAt, zone);
    if (!dates.includes(date)) continue;
    target.elsewhere.set(date, [...(target.elsewhere.get(date) ?? []), shift]);
  }
}

/** The same position always gets the same of the eight colours (a stable hash of its name). */
export function positionColour(position: string): number {
  let hash = 0;
  for (const char of position.trim().toLowerCase()) hash = (hash * 31 + char.codePointAt(0)!) >>> 0;
  return hash % 8;
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
