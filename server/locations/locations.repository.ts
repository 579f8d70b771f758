import { and, asc, count, eq, inArray, sql } from 'drizzle-orm';
import type { Location } from '../../shared/schemas/locations.js';
import type { Database } from '../db/client.js';
import { constraintViolation, SQLSTATE } from '../db/errors.js';
import { locationMembers, locations, schedules, type LocationRow } from '../db/schema.js';
import { AppError } from '../http/errors.js';

export function toLocation(row: LocationRow): Location {
  return {
    id: row.id,
    name: row.name,
    address: row.address,
    timezone: row.timezone,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export interface LocationValues {
  name: string;
  address: string | null;
  timezone: string;
}

export function createLocationsRepository(db: Database) {
  return {
    async findById(id: number): Promise<Location | null> {
      const [row] = await db.select().from(locations).where(eq(locations.id, id));
      return row ? toLocation(row) : null;
    },

    /** All locations, or those with these ids; by name, then id, keyset-paginated. */
    async list(filter: { ids?: readonly number[]; after?: { name: string; id: number }; limit: number }): Promise<Location[]> {
      if (filter.ids?.length === 0) return [];
      const rows = await db
        .select()
        .from(locations)
        .where(
          and(
            filter.ids ? inArray(locations.id, [...filter.ids]) : undefined,
            filter.after ? sql`(${locations.name}, ${locations.id}) > (${filter.after.name}, ${filter.after.id})` : undefined,
          ),
        )
        .orderBy(asc(locations.name), asc(locations.id))
        .limit(filter.limit);
      return rows.map(toLocation);
    },

    async insert(values: LocationValues): Promise<Location> {
      const [row] = await db.insert(locations).values(values).returning();
      return toLocation(row!);
    },

    async update(id: number, changes: Partial<LocationValues>): Promise<Location | null> {
      const [row] = await db
        .update(locations)
        .set({ ...changes, updatedAt: sql`now()` })
        .where(eq(locations.id, id))
        .returning();
      return row ? toLocation(row) : null;
    },

    async scheduleIds(id: number): Promise<number[]> {
      const rows = await db.select({ id: schedules.id }).from(schedules).where(eq(schedules.locationId, id));
      return rows.map((r) => r.id);
    },

    /** Deletes a location with no schedules; the foreign key decides, so a racing insert cannot slip in. */
    async delete(id: number): Promise<boolean> {
      try {
        const rows = await db.delete(locations).where(eq(locations.id, id)).returning({ id: locations.id });
        return rows.length > 0;
      } catch (err) {
        if (constraintViolation(err)?.sqlState === SQLSTATE.foreignKeyViolation) {
          const [row] = await db.select({ n: count() }).from(schedules).where(eq(schedules.locationId, id));
          throw new AppError('conflict', `The location still has ${row?.n ?? 'some'} schedule(s); delete them first.`, { cause: err });
        }
        throw err;
      }
    },

    /** Members of a location (their sessions and cached profiles change when it goes). */
    async memberIds(id: number): Promise<number[]> {
      const rows = await db.select({ userId: locationMembers.userId }).from(locationMembers).where(eq(locationMembers.locationId, id));
      return rows.map((r) => r.userId);
    },
  };
}

export type LocationsRepository = ReturnType<typeof createLocationsRepository>;
