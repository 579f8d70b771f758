import { and, asc, count, eq, inArray, not, notExists, or, sql } from 'drizzle-orm';
import type { Location } from '../../shared/schemas/locations.js';
import type { Database } from '../db/client.js';
import { constraintViolation, SQLSTATE } from '../db/errors.js';
import { locationMembers, locations, schedules, type LocationRow } from '../db/schema.js';
import { AppError } from '../errors.js';

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

    /**
     * A new time zone would move the boundaries of every week already planned, leaving shifts
     * outside their week; it is refused (409) while the location has schedules. The test is part
     * of the UPDATE, so a schedule created meanwhile cannot slip past it.
     */
    async update(id: number, changes: Partial<LocationValues>): Promise<Location | null> {
      const movesZone = changes.timezone !== undefined && sql`${locations.timezone} <> ${changes.timezone}`;
      const [row] = await db
        .update(locations)
        .set({ ...changes, updatedAt: sql`now()` })
        .where(
          and(
            eq(locations.id, id),
            movesZone ? or(not(movesZone), notExists(db.select({ one: sql`1` }).from(schedules).where(eq(schedules.locationId, id)))) : undefined,
          ),
        )
        .returning();
      if (row) return toLocation(row);
      if (movesZone && (await this.findById(id))) {
        throw new AppError('conflict', 'The time zone of a location with schedules cannot change; it would move every planned week.');
      }
      return null;
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
