import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { Redis } from 'ioredis';
import { execFileSync } from 'node:child_process';
import { TEST_DATABASE_URL, assertTestDatabase, databaseUrl } from './support/test-env.ts';

/**
 * Once per run: create the test database if needed, migrate it, and pick a Redis key prefix of
 * this run's own so concurrent runs on one Redis never see each other's keys. The database is
 * not emptied: suites isolate themselves by data, so two runs can share it at the same time.
 * Workers inherit the environment set here.
 */
export default async function globalSetup(): Promise<void> {
  assertTestDatabase(TEST_DATABASE_URL);
  const name = new URL(TEST_DATABASE_URL).pathname.slice(1);

  const admin = new pg.Client({ connectionString: databaseUrl('postgres') });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('select 1 from pg_database where datname = $1', [name]);
    if (!rowCount) await admin.query(`create database "${name.replace(/"/g, '""')}"`);
  } finally {
    await admin.end();
  }

  // The app's own migration command, so the suites test the migrations users get. (Global setup
  // runs outside jest's module mapping, so server modules are not imported here.)
  execFileSync('node_modules/.bin/tsx', ['server/db/migrate.cli.ts'], {
    env: { ...process.env, DATABASE_URL: TEST_DATABASE_URL, LOG_LEVEL: 'warn', NODE_ENV: 'test' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });

  const runId = randomBytes(4).toString('hex');
  process.env.DATABASE_URL = TEST_DATABASE_URL;
  process.env.REDIS_PREFIX = `crewplots-test-${runId}:`;
  process.env.NODE_ENV = 'test';
  process.env.LOG_LEVEL ??= 'warn';

  const redis = new Redis({ host: process.env.REDIS_HOST ?? '127.0.0.1', port: Number(process.env.REDIS_PORT ?? 6379), lazyConnect: true });
  try {
    await redis.connect();
    await redis.ping();
    // Teardown fails the run if this count grows: no code path may use KEYS.
    process.env.CREWPLOTS_TEST_KEYS_CALLS = /cmdstat_keys:calls=(\d+)/.exec(await redis.info('commandstats'))?.[1] ?? '0';
  } catch (err) {
    throw new Error(`Tests need Redis at ${process.env.REDIS_HOST ?? '127.0.0.1'}:${process.env.REDIS_PORT ?? 6379}: ${(err as Error).message}`);
  } finally {
    redis.disconnect();
  }
}
