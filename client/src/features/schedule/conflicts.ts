import type { Schedule, Shift } from '../../api/types.js';
import { fetchUserShifts } from '../../api/users.js';
import { formatDayLong, formatRange, localDate } from '../../lib/time.js';

/**
 * Turns the ids of a 409 `shift_overlap` into sentences naming each shift. Shifts of this week
 * are at hand; one in another week or at another location is looked up among the person's shifts.
 */
export async function describeConflicts(ids: number[], schedule: Schedule, userId: number | null, around: { startsAt: string; endsAt: string }, zone: string): Promise<string[]> {
  const found = new Map<number, Shift>(schedule.shifts.filter((s) => ids.includes(s.id)).map((s) => [s.id, s]));
  if (userId !== null && found.size < ids.length) {
    const day = 24 * 3_600_000;
    try {
      const theirs = await fetchUserShifts(userId, {
        from: new Date(Date.parse(around.startsAt) - day).toISOString(),
        to: new Date(Date.parse(around.endsAt) + day).toISOString(),
      });
      for (const s of theirs) if (ids.includes(s.id)) found.set(s.id, s);
    } catch {
      // Naming the shift is a courtesy; the refusal itself is already known.
    }
  }
  return ids.map((id) => {
    const shift = found.get(id);
    if (!shift) return 'another shift of theirs at a location you do not manage';
    const where = shift.scheduleId === schedule.id ? '' : ' (another schedule)';
    return `${shift.userName ?? 'They'}: ${shift.position}, ${formatDayLong(localDate(shift.startsAt, zone))}, ${formatRange(shift.startsAt, shift.endsAt, zone)}${where}`;
  });
}
