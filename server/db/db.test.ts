import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { inArray, sql } from 'drizzle-orm';
import pg from 'pg';
import { createTestApp, type TestApp } from '../../test/support/test-app.js';
import { insertLocation, insertSchedule, insertUser, uniqueEmail } from '../../test/support/factories.js';
import { testLogger } from '../../test/support/logs.js';
import { databaseUrl } from '../../test/support/test-env.js';
import { openDatabase, type Database } from './client.js';
import { parseInstant } from './instant.js';
import { migrationsFolder, runMigrations } from './migrate.js';
import { constraintViolation, isConcurrencyAbort, SQLSTATE } from './errors.js';
import { schedules, shifts } from './schema.js';

let t: TestApp;
let db: Database;
beforeAll(async () => {
  t = await createTestApp();
  db = t.deps.database.db;
});
afterAll(() => t.close());

async function violation(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (err) {
    return constraintViolation(err);
  }
  throw new Error('expected the statement to fail');
}

const at = (iso: string) => new Date(iso);

describe('shifts of one user never overlap (exclusion constraint)', () => {
  it('of two concurrent overlapping inserts for one user, exactly one succeeds', async () => {
    const user = await insertUser(db);
    const location = await insertLocation(db);
    const [a, b] = await Promise.all([insertSchedule(db, { locationId: location.id }), insertSchedule(db, { locationId: (await insertLocation(db)).id })]);
    const results = await Promise.allSettled([
      db.insert(shifts).values({ scheduleId: a.id, userId: user.id, position: 'Bar', startsAt: at('2030-03-04T16:00:00Z'), endsAt: at('2030-03-04T23:00:00Z') }),
      db.insert(shifts).values({ scheduleId: b.id, userId: user.id, position: 'Bar', startsAt: at('2030-03-04T22:00:00Z'), endsAt: at('2030-03-05T02:00:00Z') }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    // When both rows are in before either is checked, each check waits for the other and Postgres
    // refuses one as a deadlock instead (the schedules repository sends that one again).
    if (isConcurrencyAbort(rejected.reason)) return;
    expect(constraintViolation(rejected.reason)).toEqual({ sqlState: SQLSTATE.exclusionViolation, constraint: 'shifts_no_overlap_per_user' });
  });

  it('allows back-to-back shifts (half-open intervals) and overlapping open shifts', async () => {
    const user = await insertUser(db);
    const schedule = await insertSchedule(db, { locationId: (await insertLocation(db)).id });
    await db.insert(shifts).values([
      { scheduleId: schedule.id, userId: user.id, position: 'Bar', startsAt: at('2030-03-04T08:00:00Z'), endsAt: at('2030-03-04T12:00:00Z') },
      { scheduleId: schedule.id, userId: user.id, position: 'Bar', startsAt: at('2030-03-04T12:00:00Z'), endsAt: at('2030-03-04T16:00:00Z') },
      { scheduleId: schedule.id, userId: null, position: 'Bar', startsAt: at('2030-03-04T08:00:00Z'), endsAt: at('2030-03-04T12:00:00Z') },
      { scheduleId: schedule.id, userId: null, position: 'Bar', startsAt: at('2030-03-04T08:00:00Z'), endsAt: at('2030-03-04T12:00:00Z') },
    ]);
  });

  it('refuses a shift ending before it starts, and one longer than 16 hours; allows exactly 16', async () => {
    const schedule = await insertSchedule(db, { locationId: (await insertLocation(db)).id });
    const base = { scheduleId: schedule.id, userId: null, position: 'Bar' };
    expect(await violation(db.insert(shifts).values({ ...base, startsAt: at('2030-03-04T12:00:00Z'), endsAt: at('2030-03-04T12:00:00Z') }))).toMatchObject({
      sqlState: SQLSTATE.checkViolation,
      constraint: 'shifts_ends_after_starts',
    });
    expect(await violation(db.insert(shifts).values({ ...base, startsAt: at('2030-03-04T00:00:00Z'), endsAt: at('2030-03-04T16:00:00.001Z') }))).toMatchObject({
      constraint: 'shifts_at_most_16_hours',
    });
    await db.insert(shifts).values({ ...base, startsAt: at('2030-03-04T00:00:00Z'), endsAt: at('2030-03-04T16:00:00Z') });
  });
});

describe('other constraints of the contract', () => {
  it('emails are unique regardless of case', async () => {
    const email = uniqueEmail();
    await insertUser(db, { email });
    expect(await violation(insertUser(db, { email: email.toUpperCase() }))).toEqual({
      sqlState: SQLSTATE.uniqueViolation,
      constraint: 'users_email_lower_key',
    });
  });

  it('one schedule per location and week, starting on a Monday', async () => {
    const location = await insertLocation(db);
    const first = await insertSchedule(db, { locationId: location.id });
    expect(await violation(insertSchedule(db, { locationId: location.id, weekStart: first.weekStart }))).toMatchObject({
      constraint: 'schedules_location_week_key',
    });
    expect(await violation(insertSchedule(db, { locationId: location.id, weekStart: '2030-03-05' }))).toMatchObject({
      constraint: 'schedules_week_start_monday',
    });
  });

  it('stores instants with millisecond precision, as the API prints them', async () => {
    const location = await insertLocation(db);
    const [row] = await db
      .insert(schedules)
      .values({ locationId: location.id, weekStart: '2031-06-02', status: 'published', publishedAt: at('2031-06-01T10:11:12.345Z') })
      .returning();
    expect(row!.publishedAt!.toISOString()).toBe('2031-06-01T10:11:12.345Z');
    const result = (await db.execute(
      sql`select datetime_precision as precision from information_schema.columns where table_name = 'shifts' and column_name = 'starts_at'`,
    )) as { rows: Array<{ precision: number }> };
    expect(result.rows[0]?.precision).toBe(3);
  });
});

describe("reading instants back, whatever the session's time zone", () => {
  // Through a transaction-mode pooler, or on a server set to another zone, the session's zone is not
  // ours to choose. Kolkata's dates before 1942 print with offsets like +05:53:28, which a JavaScript
  // Date cannot parse; St John's has half hours west of UTC; Chatham has +13:45 in summer.
  const zones = ['Asia/Kolkata', 'America/St_Johns', 'Pacific/Chatham', 'Europe/Amsterdam'];
  const mondays = ['2031-06-02', '2031-06-09', '2031-06-16', '2031-06-23', '2031-06-30'];
  const instants = ['1901-05-01T10:00:00.000Z', '1941-12-31T23:59:59.999Z', '2027-03-28T01:30:00.123Z', '2027-10-31T00:59:59.001Z', '2030-01-01T00:00:00.000Z'];

  it.each(zones)('reads what it wrote in %s', async (zone) => {
    const location = await insertLocation(db);
    const written = await db
      .insert(schedules)
      .values(instants.map((at, i) => ({ locationId: location.id, weekStart: mondays[i]!, status: 'published' as const, publishedAt: new Date(at) })))
      .returning({ id: schedules.id });
    const read = await db.transaction(async (tx) => {
      await tx.execute(sql.raw(`set local time zone '${zone}'`));
      return tx.select({ id: schedules.id, publishedAt: schedules.publishedAt }).from(schedules).where(inArray(schedules.id, written.map((w) => w.id)));
    });
    expect(read.map((r) => r.publishedAt!.toISOString()).sort()).toEqual([...instants].sort());
  });

  it('on a database whose default zone is not UTC, through the app\'s own pool', async () => {
    const name = `crewplots_test_tz_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: databaseUrl('postgres') });
    await admin.connect();
    await admin.query(`create database ${name}`);
    await admin.query(`alter database ${name} set timezone to 'Asia/Kolkata'`);
    const handle = await openDatabase({ database: { url: databaseUrl(name), dataDir: '.data' } }, testLogger('warn'));
    try {
      await runMigrations(handle, testLogger('warn'));
      // The pool sets no zone of its own (a pooler may set yet another one: test:pgbouncer does).
      const zone = (await handle.db.execute(sql`show timezone`)) as { rows: Array<{ TimeZone: string }> };
      expect(zone.rows[0]?.TimeZone).not.toMatch(/^(UTC|Etc\/UTC|GMT)$/);
      const location = await insertLocation(handle.db);
      const [row] = await handle.db
        .insert(schedules)
        .values({ locationId: location.id, weekStart: '2031-06-02', status: 'published', publishedAt: new Date('1901-05-01T10:00:00.000Z') })
        .returning();
      expect(row!.publishedAt!.toISOString()).toBe('1901-05-01T10:00:00.000Z');
      expect(row!.createdAt.getTime()).toBeGreaterThan(Date.now() - 60_000);
    } finally {
      await handle.close();
      await admin.query(`drop database if exists ${name} with (force)`);
      await admin.end();
    }
  });
});

describe('parseInstant', () => {
  it.each([
    ['2027-03-28 01:30:00.123+00', '2027-03-28T01:30:00.123Z'],
    ['2027-03-28 03:30:00.1+02', '2027-03-28T01:30:00.100Z'],
    ['1901-05-01 15:53:28+05:53:28', '1901-05-01T10:00:00.000Z'],
    ['2027-03-27 23:00:00-02:30', '2027-03-28T01:30:00.000Z'],
    ['0050-01-01 00:00:00+00', '0050-01-01T00:00:00.000Z'],
    ['0001-01-01 00:00:00+00 BC', '0000-01-01T00:00:00.000Z'],
    ['12345-01-01 00:00:00+00', '+012345-01-01T00:00:00.000Z'],
  ])('%s is %s', (text, iso) => {
    expect(parseInstant(text).toISOString()).toBe(iso);
  });

  it('refuses text in another DateStyle instead of misreading it', () => {
    expect(() => parseInstant('03/28/2027 01:30:00.123 UTC')).toThrow(/DateStyle ISO/);
    expect(() => parseInstant('Sun Mar 28 01:30:00.123 2027 UTC')).toThrow(/DateStyle ISO/);
  });
});

describe('migrations', () => {
  it('several instances migrating one new database at once: every migration applied once, no lock left behind', async () => {
    const name = `crewplots_test_mig_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: databaseUrl('postgres') });
    await admin.connect();
    await admin.query(`create database ${name}`);
    const handles = await Promise.all(Array.from({ length: 3 }, () => openDatabase({ database: { url: databaseUrl(name), dataDir: '.data' } }, testLogger('warn'))));
    try {
      await Promise.all(handles.map((h) => runMigrations(h, testLogger('warn'))));
      const journal = JSON.parse(readFileSync(path.join(migrationsFolder(), 'meta', '_journal.json'), 'utf8')) as { entries: unknown[] };
      const applied = (await handles[0]!.db.execute(sql`select count(*)::int as n from drizzle.__drizzle_migrations`)) as { rows: Array<{ n: number }> };
      expect(applied.rows[0]!.n).toBe(journal.entries.length);
      // A session-level lock taken through a transaction pooler would stay on a server connection.
      const locks = await admin.query(`select count(*)::int as n from pg_locks l join pg_database d on d.oid = l.database where l.locktype = 'advisory' and d.datname = $1`, [name]);
      expect(locks.rows[0].n).toBe(0);
      // And a later start finds nothing to do.
      await runMigrations(handles[0]!, testLogger('warn'));
      expect(((await handles[0]!.db.execute(sql`select count(*)::int as n from drizzle.__drizzle_migrations`)) as { rows: Array<{ n: number }> }).rows[0]!.n).toBe(journal.entries.length);
    } finally {
      await Promise.all(handles.map((h) => h.close()));
      await admin.query(`drop database if exists ${name} with (force)`);
      await admin.end();
    }
  });
});
