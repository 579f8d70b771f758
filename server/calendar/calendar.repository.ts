import { and, asc, eq, gt, isNotNull, lt } from 'drizzle-orm';
import type { Database, Transaction } from '../db/client.js';
import { calendarFeeds, locations, schedules, shifts, users } from '../db/schema.js';
import type { FeedShift } from './calendar.ics.js';

export function createCalendarRepository(db: Database) {
  return {
    /** The person's feed (the hash of its token) and whether they are active; null without a feed. */
    async findFeed(userId: number): Promise<{ tokenHash: string; active: boolean } | null> {
      const [row] = await db
        .select({ tokenHash: calendarFeeds.tokenHash, active: users.active })
        .from(calendarFeeds)
        .innerJoin(users, eq(users.id, calendarFeeds.userId))
        .where(eq(calendarFeeds.userId, userId));
      return row ?? null;
    },

    /** The person's shifts in published weeks, at any location, overlapping [from, to), by start. */
    async publishedShifts(userId: number, from: Date, to: Date): Promise<FeedShift[]> {
      const rows = await db
        .select({
          id: shifts.id,
          version: shifts.version,
          position: shifts.position,
          startsAt: shifts.startsAt,
          endsAt: shifts.endsAt,
          updatedAt: shifts.updatedAt,
          notes: shifts.notes,
          name: locations.name,
          address: locations.address,
          timezone: locations.timezone,
        })
        .from(shifts)
        .innerJoin(schedules, eq(schedules.id, shifts.scheduleId))
        .innerJoin(locations, eq(locations.id, schedules.locationId))
        .where(and(eq(shifts.userId, userId), eq(schedules.status, 'published'), gt(shifts.endsAt, from), lt(shifts.startsAt, to)))
        .orderBy(asc(shifts.startsAt), asc(shifts.id));
      return rows.map(({ name, address, timezone, ...shift }) => ({ ...shift, location: { name, address, timezone } }));
    },

    /** Creates the person's feed, or gives it a new token (the old one stops answering). */
    async replace(tx: Transaction, userId: number, tokenHash: string): Promise<void> {
      await tx
        .insert(calendarFeeds)
        .values({ userId, tokenHash })
        .onConflictDoUpdate({ target: calendarFeeds.userId, set: { tokenHash, createdAt: new Date() } });
    },

    /**
     * People with a feed and a shift at the location ending after `since`: the feeds that show
     * the location's name and address. (Older shifts are in no feed.)
     */
    async feedHoldersAt(locationId: number, since: Date): Promise<number[]> {
      const rows = await db
        .selectDistinct({ userId: calendarFeeds.userId })
        .from(shifts)
        .innerJoin(schedules, eq(schedules.id, shifts.scheduleId))
        .innerJoin(calendarFeeds, eq(calendarFeeds.userId, shifts.userId))
        .where(and(eq(schedules.locationId, locationId), isNotNull(shifts.userId), gt(shifts.endsAt, since)));
      return rows.map((r) => r.userId);
    },
  };
}

export type CalendarRepository = ReturnType<typeof createCalendarRepository>;
