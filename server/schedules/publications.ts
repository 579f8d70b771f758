import { asc, eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import { PublishedShift, SHIFT_FIELDS, type ScheduleChanges } from '../../shared/schemas/publications.js';
import type { Database, Transaction } from '../db/client.js';
import { schedulePublications, shifts, users } from '../db/schema.js';

type Query = Database | Transaction;

/**
 * What a week looked like when it was last published (migration 0005): the publish confirmation
 * lists what changed since (GET /api/schedules/:id/changes), and a publish tells only the people
 * whose shifts that changed (docs/decisions/028).
 */
export function createPublicationsRepository(db: Database) {
  return {
    /** The week's shifts now, as a publication records them. */
    async current(scheduleId: number, q: Query = db): Promise<PublishedShift[]> {
      const rows = await q
        .select({ id: shifts.id, userId: shifts.userId, userName: users.name, position: shifts.position, startsAt: shifts.startsAt, endsAt: shifts.endsAt, notes: shifts.notes })
        .from(shifts)
        .leftJoin(users, eq(users.id, shifts.userId))
        .where(eq(shifts.scheduleId, scheduleId))
        .orderBy(asc(shifts.startsAt), asc(shifts.id));
      return rows.map((r) => ({ ...r, startsAt: r.startsAt.toISOString(), endsAt: r.endsAt.toISOString() }));
    },

    /** The last publication, or null if the week was never published since publications were kept. */
    async last(scheduleId: number, q: Query = db): Promise<{ publishedAt: Date; shifts: PublishedShift[] } | null> {
      const [row] = await q.select().from(schedulePublications).where(eq(schedulePublications.scheduleId, scheduleId));
      if (!row) return null;
      // Written by this code; parsed all the same, so a row of another shape is "never published", not a 500.
      const parsed = z.array(PublishedShift).safeParse(row.shifts);
      return parsed.success ? { publishedAt: row.publishedAt, shifts: parsed.data } : null;
    },

    async record(tx: Transaction, scheduleId: number, published: readonly PublishedShift[]): Promise<void> {
      await tx
        .insert(schedulePublications)
        .values({ scheduleId, shifts: published })
        .onConflictDoUpdate({ target: schedulePublications.scheduleId, set: { shifts: published, publishedAt: sql`now()` } });
    },
  };
}

export type PublicationsRepository = ReturnType<typeof createPublicationsRepository>;

/** What changed between a publication (null: never published, so everything is new) and the week now. */
export function diffShifts(
  scheduleId: number,
  last: { publishedAt: Date; shifts: readonly PublishedShift[] } | null,
  now: readonly PublishedShift[],
): ScheduleChanges {
  const before = new Map((last?.shifts ?? []).map((s) => [s.id, s]));
  const after = new Map(now.map((s) => [s.id, s]));
  const changed: ScheduleChanges['changed'] = [];
  for (const s of now) {
    const was = before.get(s.id);
    if (!was) continue;
    const fields = SHIFT_FIELDS.filter((f) => was[f] !== s[f]);
    if (fields.length > 0) changed.push({ before: was, after: s, fields });
  }
  return {
    scheduleId,
    lastPublishedAt: last?.publishedAt.toISOString() ?? null,
    added: now.filter((s) => !before.has(s.id)),
    removed: [...before.values()].filter((s) => !after.has(s.id)),
    changed,
  };
}

/** The people a diff concerns: whoever was or is on a shift that was added, removed or changed. */
export function peopleIn(changes: ScheduleChanges): Set<number> {
  const ids = new Set<number>();
  const add = (s: PublishedShift) => s.userId !== null && ids.add(s.userId);
  changes.added.forEach(add);
  changes.removed.forEach(add);
  for (const c of changes.changed) {
    add(c.before);
    add(c.after);
  }
  return ids;
}
