import path from 'node:path';
import { hash } from '@node-rs/argon2';
import pg from 'pg';
import { BUILD, run } from './proc.js';

/**
 * The benchmark's data, written straight to Postgres after the app's own migrations:
 * - 20 locations (Europe/Amsterdam), one published schedule each for the week of 2030-03-04;
 * - 1,000 users: 5 admins, 20 managers (one per location), one "profile" manager who works at
 *   all 20 locations with long position names (a ~2 KB user JSON, the scenario-2 target),
 *   and 974 crew: 200 at location 1, the rest spread over locations 2–20;
 * - schedule 1 (location 1) has 150 shifts, each for a different crew member (scenario 3);
 *   the other 19 have 20 shifts each.
 * Every user's password is PASSWORD (one argon2id hash, computed once).
 */

export const PASSWORD = 'crewplots-bench-password';
export const WEEK = '2030-03-04';
const LOCATIONS = 20;
const USERS = 1000;
const ADMINS = 5;
const BIG_SHIFTS = 150;
const SMALL_SHIFTS = 20;
const POSITIONS = ['Bartender', 'Server', 'Host', 'Barback', 'Runner', 'Line cook'];

export interface Seeded {
  adminEmails: string[];
  /** The ~2 KB user read by scenarios 2, 1b and 1c. */
  profileUserId: number;
  userIds: number[];
  /** Crew who get renamed by the mixed traffic. */
  crewIds: number[];
  scheduleIds: number[];
  /** The schedule with 150 shifts. */
  bigScheduleId: number;
  /** [scheduleId, shiftId] of every shift (shift edits in the mixed traffic). */
  shifts: Array<[number, number]>;
}

/** Applies the committed migrations with the app's own migration command (compiled build). */
export function migrate(databaseUrl: string): void {
  run(process.execPath, [path.join(BUILD, 'server/db/migrate.cli.js')], {
    env: { PATH: process.env.PATH, DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn' },
  });
}

async function insertRows<T extends unknown[]>(client: pg.Client, table: string, columns: string[], rows: T[], returning = 'id'): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < rows.length; i += 500) {
    const chunk = rows.slice(i, i + 500);
    const params: unknown[] = [];
    const tuples = chunk.map((row) => `(${row.map((v) => (params.push(v), `$${params.length}`)).join(', ')})`);
    const res = await client.query(
      `insert into ${table} (${columns.join(', ')}) values ${tuples.join(', ')}${returning ? ` returning ${returning}` : ''}`,
      params,
    );
    if (returning) ids.push(...res.rows.map((r: Record<string, number>) => r[returning]!));
  }
  return ids;
}

export async function seed(databaseUrl: string, options: { users?: number } = {}): Promise<Seeded> {
  const userCount = options.users ?? USERS;
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const passwordHash = await hash(PASSWORD);
    await client.query('begin');
    const locationIds = await insertRows(
      client,
      'locations',
      ['name', 'address', 'timezone'],
      Array.from({ length: LOCATIONS }, (_, i) => [`Bench venue ${i + 1}`, `${i + 1} Benchstraat, Amsterdam`, 'Europe/Amsterdam']),
    );

    type UserSpec = { email: string; name: string; role: 'admin' | 'manager' | 'crew'; phone: string | null; memberships: Array<[number, string]> };
    const specs: UserSpec[] = [];
    for (let i = 0; i < ADMINS; i++) specs.push({ email: `admin${i + 1}@bench.crewplots.example`, name: `Bench Admin ${i + 1}`, role: 'admin', phone: null, memberships: [] });
    for (let i = 0; i < LOCATIONS; i++) {
      specs.push({ email: `manager${i + 1}@bench.crewplots.example`, name: `Bench Manager ${i + 1}`, role: 'manager', phone: '+31 20 555 0100', memberships: [[locationIds[i]!, 'Manager']] });
    }
    specs.push({
      email: 'profile@bench.crewplots.example',
      name: 'Alexandra Benchmark-van der Profiel',
      role: 'manager',
      phone: '+31 20 555 0199',
      memberships: locationIds.map((id, i) => [id, `Floor lead, cocktail bar and late-night service, rota group ${String.fromCharCode(65 + i)}`]),
    });
    const crewCount = userCount - specs.length;
    for (let i = 0; i < crewCount; i++) {
      const location = i < 200 ? locationIds[0]! : locationIds[1 + ((i - 200) % (LOCATIONS - 1))]!;
      specs.push({
        email: `crew${i + 1}@bench.crewplots.example`,
        name: `Crew Member ${i + 1}`,
        role: 'crew',
        phone: i % 3 === 0 ? null : `+31 6 ${String(10_000_000 + i).slice(0, 8)}`,
        memberships: [[location, POSITIONS[i % POSITIONS.length]!]],
      });
    }
    const userIds = await insertRows(
      client,
      'users',
      ['email', 'name', 'role', 'password_hash', 'phone'],
      specs.map((s) => [s.email, s.name, s.role, passwordHash, s.phone]),
    );
    const members: Array<[number, number, string]> = [];
    specs.forEach((s, i) => s.memberships.forEach(([locationId, position]) => members.push([userIds[i]!, locationId, position])));
    await insertRows(client, 'location_members', ['user_id', 'location_id', 'position'], members, '');

    const scheduleIds = await insertRows(
      client,
      'schedules',
      ['location_id', 'week_start', 'status', 'published_at'],
      locationIds.map((id) => [id, WEEK, 'published', new Date('2030-02-25T12:00:00Z')]),
    );

    // Crew of each location, in seeding order: every shift of a schedule goes to someone else.
    const crewByLocation = new Map<number, number[]>();
    specs.forEach((s, i) => {
      if (s.role !== 'crew') return;
      const loc = s.memberships[0]![0];
      crewByLocation.set(loc, [...(crewByLocation.get(loc) ?? []), userIds[i]!]);
    });
    const shiftRows: Array<[number, number | null, string, Date, Date, string | null]> = [];
    const weekStartUtc = Date.UTC(2030, 2, 4); // Amsterdam is UTC+1 that week
    scheduleIds.forEach((scheduleId, s) => {
      const crew = crewByLocation.get(locationIds[s]!) ?? [];
      const n = s === 0 ? BIG_SHIFTS : SMALL_SHIFTS;
      for (let k = 0; k < n; k++) {
        const day = k % 7;
        const startHourLocal = 8 + (k % 10);
        const startsAt = new Date(weekStartUtc + day * 86_400_000 + (startHourLocal - 1) * 3_600_000);
        const endsAt = new Date(startsAt.getTime() + (4 + (k % 5)) * 3_600_000);
        const userId = k % 10 === 9 ? null : (crew[k] ?? null); // every tenth shift is open
        shiftRows.push([scheduleId, userId, POSITIONS[k % POSITIONS.length]!, startsAt, endsAt, k % 4 === 0 ? `Seeded note ${k}: bring the keys for the back bar` : null]);
      }
    });
    const shiftIds = await insertRows(client, 'shifts', ['schedule_id', 'user_id', 'position', 'starts_at', 'ends_at', 'notes'], shiftRows);
    await client.query('commit');

    return {
      adminEmails: specs.filter((s) => s.role === 'admin').map((s) => s.email),
      profileUserId: userIds[ADMINS + LOCATIONS]!,
      userIds,
      crewIds: userIds.filter((_, i) => specs[i]!.role === 'crew'),
      scheduleIds,
      bigScheduleId: scheduleIds[0]!,
      shifts: shiftRows.map((row, i) => [row[0], shiftIds[i]!]),
    };
  } catch (err) {
    await client.query('rollback').catch(() => {});
    throw err;
  } finally {
    await client.end();
  }
}
