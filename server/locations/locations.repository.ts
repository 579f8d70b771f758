import { and, asc, count, eq, inArray, not, notExists, or, sql } from 'drizzle-orm';
import type { Location } from '../../shared/schemas/locations.js';
import type { Database, Transaction } from '../db/client.js';
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

    async insert(tx: Transaction, values: LocationValues): Promise<Location> {
      const [row] = await tx.insert(locations).values(values).returning();
      return toLocation(row!);
    },

    /**
     * A new time zone would move the boundaries of every week already planned, leaving shifts
     * outside their week; it is refused (409) while the location has schedules. The test is part
     * of the UPDATE, so a schedule created meanwhile cannot slip past it.
     */
    async update(tx: Transaction, id: number, changes: Partial<LocationValues>): Promise<Location | null> {
      const movesZone = changes.timezone !== undefined && sql`${locations.timezone} <> ${changes.timezone}`;
      const [row] = await tx
        .update(locations)
        .set({ ...changes, updatedAt: sql`now()` })
        .where(
          and(
            eq(locations.id, id),
            movesZone ? or(not(movesZone), notExists(tx.select({ one: sql`1` }).from(schedules).where(eq(schedules.locationId, id)))) : undefined,
          ),
        )
        .returning();
      if (row) return toLocation(row);
      if (movesZone && (await tx.select({ id: locations.id }).from(locations).where(eq(locations.id, id))).length > 0) {
        throw new AppError('conflict', 'The time zone of a location with schedules cannot change; it would move every planned week.');
      }
      return null;
    },

    /**
     * Deletes a location that has no schedules, and says who its members were (their profiles
     * list it no more). The row is held first: a schedule or membership being added must wait
     * for its foreign-key check until this transaction ends, so neither slips in between.
     */
    async delete(tx: Transaction, id: number): Promise<{ memberIds: number[] } | null> {
      const [held] = await tx.select({ id: locations.id }).from(locations).where(eq(locations.id, id)).for('update');
      if (!held) return null;
      const [planned] = await tx.select({ n: count() }).from(schedules).where(eq(schedules.locationId, id));
      if (planned && planned.n > 0) throw new AppError('conflict', `The location still has ${planned.n} schedule(s); delete them first.`);
      const members = await tx.select({ userId: locationMembers.userId }).from(locationMembers).where(eq(locationMembers.locationId, id));
      await tx.delete(locations).where(eq(locations.id, id));
      return { memberIds: members.map((m) => m.userId) };
    },
  };
}

export type LocationsRepository = ReturnType<typeof createLocationsRepository>;
