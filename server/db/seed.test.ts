import { describe, expect, it } from '@jest/globals';
import { DateTime } from 'luxon';
import { withFreshDatabase } from '../../test/support/fresh-database.js';
import { testLogger } from '../../test/support/logs.js';
import { createPlanningRepository } from '../planning/planning.repository.js';
import { locationMembers, locations, schedules, shifts, timeOff, users } from './schema.js';
import { seedDemo } from './seed.js';
import { weekBounds } from '../../shared/time.js';

describe('demo seed', () => {
  it('loads three venues in three time zones, managers, ~30 crew, a published and a draft week', async () => {
    await withFreshDatabase(async ({ db }) => {
      const now = new Date('2026-11-26T12:00:00Z');
      expect(await seedDemo(db, testLogger(), now)).toEqual({ loaded: true });

      const venues = await db.select().from(locations);
      expect(new Set(venues.map((v) => v.timezone))).toEqual(new Set(['Europe/Amsterdam', 'America/New_York', 'Australia/Sydney']));
      const people = await db.select().from(users);
      expect(people.filter((u) => u.role === 'crew').length).toBeGreaterThanOrEqual(30);
      expect(people.filter((u) => u.role === 'manager')).toHaveLength(3);
      expect(people.filter((u) => u.role === 'admin')).toHaveLength(1);
      expect((await db.select().from(locationMembers)).length).toBeGreaterThan(33);

      const weeks = await db.select().from(schedules);
      expect(weeks.filter((s) => s.status === 'published')).toHaveLength(3);
      expect(weeks.filter((s) => s.status === 'draft')).toHaveLength(3);

      const all = await db.select().from(shifts);
      const byId = new Map(weeks.map((w) => [w.id, w]));
      const zoneOf = new Map(venues.map((v) => [v.id, v.timezone]));
      const zoneOfShift = (s: (typeof all)[number]) => zoneOf.get(byId.get(s.scheduleId)!.locationId)!;
      const statusOf = (s: (typeof all)[number]) => byId.get(s.scheduleId)!.status;
      // Open shifts in the week crew can see (and take), and overnight ones: ending on another
      // day than they start, on the venue's own clock.
      expect(all.some((s) => s.userId === null && statusOf(s) === 'published')).toBe(true);
      const localDay = (at: Date, zone: string) => DateTime.fromJSDate(at, { zone }).toISODate();
      const overnight = all.filter((s) => localDay(s.endsAt, zoneOfShift(s)) !== localDay(s.startsAt, zoneOfShift(s)));
      expect(overnight.filter((s) => statusOf(s) === 'published').length).toBeGreaterThan(0);
      expect(overnight.filter((s) => statusOf(s) === 'draft').length).toBeGreaterThan(0);

      // Every shift starts inside its schedule's week, in its venue's time zone.
      for (const s of all) {
        const week = byId.get(s.scheduleId)!;
        const { start, end } = weekBounds(week.weekStart, zoneOf.get(week.locationId)!);
        expect(s.startsAt >= start && s.startsAt < end).toBe(true);
      }
    });
  });

  it('gives the crew rates, limits, availability and time off, so every week shows warnings and labor cost', async () => {
    await withFreshDatabase(async ({ db }) => {
      await seedDemo(db, testLogger(), new Date('2026-11-26T12:00:00Z'));
      const crew = (await db.select().from(users)).filter((u) => u.role === 'crew');
      expect(crew.every((u) => u.hourlyRate !== null && u.maxWeeklyHours !== null)).toBe(true);
      const off = await db.select().from(timeOff);
      expect(new Set(off.map((x) => x.status))).toEqual(new Set(['approved', 'pending']));
      const planning = createPlanningRepository(db);
      const codes = new Set<string>();
      for (const week of await db.select().from(schedules)) {
        for (const w of await planning.warnings(week.id)) codes.add(w.code);
        const labor = await planning.labor(week.id);
        expect(Number(labor!.week.cost)).toBeGreaterThan(0);
      }
      expect([...codes].sort()).toEqual(['other_location', 'over_hours', 'short_rest', 'time_off', 'time_off_pending', 'unavailable']);
    });
  });

  it('loads nothing the second time', async () => {
    await withFreshDatabase(async ({ db }) => {
      await seedDemo(db, testLogger());
      const before = (await db.select().from(users)).length;
      expect(await seedDemo(db, testLogger())).toEqual({ loaded: false });
      expect(await db.select().from(users)).toHaveLength(before);
    });
  });
});
