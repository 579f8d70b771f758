import { randomUUID } from 'node:crypto';
import type { Database } from '../../server/db/client.js';
import { locationMembers, locations, schedules, users, type LocationRow, type ScheduleRow, type UserRow } from '../../server/db/schema.js';

/**
 * Rows for tests, isolated by data: every email is unique, so suites share one database without
 * stepping on each other. The hash is a fixed argon2id string (no test pays for hashing here).
 */
const SOME_HASH = '$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$2ufA5hIpvW2yTv2H2uWm8ydQ1hXJ0Hk8bP2m1v4Yl7E';

export const uniqueEmail = (tag = 'user') => `${tag}-${randomUUID().slice(0, 8)}@test.crewplots.example`;

export async function insertUser(db: Database, values: Partial<typeof users.$inferInsert> = {}): Promise<UserRow> {
  const [row] = await db
    .insert(users)
    .values({ email: uniqueEmail(values.role ?? 'crew'), name: 'Test Person', role: 'crew', passwordHash: SOME_HASH, ...values })
    .returning();
  return row!;
}

export async function insertLocation(db: Database, values: Partial<typeof locations.$inferInsert> = {}): Promise<LocationRow> {
  const [row] = await db
    .insert(locations)
    .values({ name: `Venue ${randomUUID().slice(0, 6)}`, timezone: 'Europe/Amsterdam', ...values })
    .returning();
  return row!;
}

export async function addMember(db: Database, userId: number, locationId: number, position = 'Bartender'): Promise<void> {
  await db.insert(locationMembers).values({ userId, locationId, position });
}

// Each file counts on from 2030-01-07 in blocks of ten weeks, from a random block of its own: no
// Monday comes twice in one file (a random week per call could), and the nine weeks after each
// one are free too, for tests that plan a run of weeks with `addWeeks`.
const WEEKS_PER_MONDAY = 10;
let weekBlock = Math.floor(Math.random() * 2000);
/** A Monday no other test in this file uses, and the nine weeks after it likewise. */
export function uniqueMonday(): string {
  // Future weeks, so their open shifts can still be taken.
  const d = new Date(Date.UTC(2030, 0, 7) + 7 * 86_400_000 * WEEKS_PER_MONDAY * ++weekBlock);
  return d.toISOString().slice(0, 10);
}

export async function insertSchedule(db: Database, values: Partial<typeof schedules.$inferInsert> & { locationId: number }): Promise<ScheduleRow> {
  const [row] = await db.insert(schedules).values({ weekStart: uniqueMonday(), ...values }).returning();
  return row!;
}
