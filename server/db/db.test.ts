import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { createTestApp, type TestApp } from '../../test/support/test-app.js';
import { insertLocation, insertSchedule, insertUser, uniqueEmail } from '../../test/support/factories.js';
import { testLogger } from '../../test/support/logs.js';
import { databaseUrl } from '../../test/support/test-env.js';
import { openDatabase, type Database } from './client.js';
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

describe('reading instants back', () => {
  it('speaks UTC on every connection, even to a server set to another zone', async () => {
    const name = `crewplots_test_tz_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: databaseUrl('postgres') });
    await admin.connect();
    await admin.query(`create database ${name}`);
    // Kolkata's dates before 1942 carry offsets like +05:21:10, which a JavaScript Date cannot parse.
    await admin.query(`alter database ${name} set timezone to 'Asia/Kolkata'`);
    const handle = await openDatabase({ database: { url: databaseUrl(name), dataDir: '.data' } }, testLogger('warn'));
    try {
      const result = (await handle.db.execute(sql`select '1901-05-01 10:00:00+00'::timestamptz::text as at`)) as { rows: Array<{ at: string }> };
      expect(result.rows[0]?.at).toBe('1901-05-01 10:00:00+00');
    } finally {
      await handle.close();
      await admin.query(`drop database if exists ${name} with (force)`);
      await admin.end();
    }
  });
});
