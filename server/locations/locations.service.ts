import { z } from 'zod';
import { Id, storableText } from '../../shared/schemas/common.js';
import {
  Location as LocationSchema,
  type CreateLocationBody,
  type Location,
  type LocationListQuery,
  type PatchLocationBody,
} from '../../shared/schemas/locations.js';
import type { Actor } from '../access/actor.js';
import { ensureAllowed, ensureFieldsAllowed, ensureVisible, locationPolicy } from '../access/policy.js';
import type { Cache, CacheKey } from '../cache/cache.js';
import type { WritePath } from '../changes/write-path.js';
import { decodeCursor, encodeCursor } from '../http/cursor.js';
import { AppError } from '../errors.js';
import { RawJson } from '../raw-json.js';
import type { LocationsRepository } from './locations.repository.js';

/** Where the previous page of the location list (by name, then id) ended. */
const LocationCursor = z.strictObject({ name: z.string().max(1000).refine(storableText), id: Id });

const locationKey = (id: number): CacheKey => ({ namespace: 'location', id });

export function createLocationsService({ repo, cache, writes }: { repo: LocationsRepository; cache: Cache; writes: WritePath }) {
  async function cached(id: number) {
    return cache.getOrLoad({ key: locationKey(id), ttl: 'LONG', schema: LocationSchema, load: () => repo.findById(id) });
  }

  return {
    /** A location by id through the cache, or null; for other services (time zones, existence). */
    async find(id: number): Promise<Location | null> {
      return (await cached(id))?.value() ?? null;
    },

    async get(actor: Actor, id: number): Promise<RawJson> {
      ensureVisible(locationPolicy.view(actor, id), 'location');
      const entry = await cached(id);
      ensureVisible(entry !== null, 'location');
      return new RawJson(entry!.json);
    },

    async list(actor: Actor, query: LocationListQuery): Promise<{ items: Location[]; nextCursor: string | null }> {
      const after = query.cursor ? decodeCursor(query.cursor, LocationCursor) : undefined;
      const rows = await repo.list({ ids: actor.role === 'admin' ? undefined : [...actor.locationIds], after, limit: query.limit + 1 });
      const items = rows.slice(0, query.limit);
      const last = items.at(-1);
      return { items, nextCursor: rows.length > query.limit && last ? encodeCursor({ name: last.name, id: last.id }) : null };
    },

    async create(actor: Actor, body: CreateLocationBody): Promise<Location> {
      ensureAllowed(locationPolicy.create(actor));
      // Declared as a change: a 404 for this id may have been cached before it existed.
      return writes.run(async (tx, touched) => {
        const location = await repo.insert(tx, { name: body.name, address: body.address ?? null, timezone: body.timezone });
        touched.add({ kind: 'location', locationId: location.id });
        return location;
      });
    },

    async update(actor: Actor, id: number, patch: PatchLocationBody): Promise<Location> {
      ensureVisible(locationPolicy.view(actor, id) && (await cached(id)) !== null, 'location');
      ensureAllowed(locationPolicy.edit(actor, id));
      ensureFieldsAllowed(patch, locationPolicy.editableFields(actor));
      // Only a location without schedules can move zone (the repository refuses otherwise).
      const location = await writes.run(async (tx, touched) => {
        const row = await repo.update(tx, id, patch);
        if (row) touched.add({ kind: 'location', locationId: id });
        return row;
      });
      if (!location) throw new AppError('not_found', 'No such location.');
      return location;
    },

    async delete(actor: Actor, id: number): Promise<void> {
      ensureVisible(locationPolicy.view(actor, id) && (await cached(id)) !== null, 'location');
      ensureAllowed(locationPolicy.delete(actor));
      const deleted = await writes.run(async (tx, touched) => {
        const outcome = await repo.delete(tx, id);
        if (!outcome) return false;
        // Memberships went with it: each member's locations changed.
        touched.add(
          { kind: 'location', locationId: id },
          ...outcome.memberIds.map((userId) => ({ kind: 'user' as const, userId, changed: ['locations' as const] })),
        );
        return true;
      });
      if (!deleted) throw new AppError('not_found', 'No such location.');
    },
  };
}

export type LocationsService = ReturnType<typeof createLocationsService>;
