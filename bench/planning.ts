/**
 * A week's warnings and labor on a cache miss: the Postgres time of the statements that compute
 * them (server/planning/planning.repository.ts), with their query plans (issue 14).
 *
 *   node_modules/.bin/tsx bench/planning.ts [--runs N] [--keep-db]
 *
 * The week: location A's, 150 shifts for 30 people (5 each), each person also working 2 shifts at
 * location B that week, with approved and pending time off that week, three unavailable windows,
 * and a weekly limit, so every warning code fires. Around it, a year of history: 52 earlier weeks
 * at both locations for the same people (≈ 11,000 shifts) and ten older time-off entries each.
 * A database of its own on the local Postgres (`crewplots_bench_planning_<id>`), dropped at the end.
 * Each statement is run once to warm the cache of Postgres, then N times under
 * `EXPLAIN (ANALYZE, BUFFERS)`; the figure is the median of planning + execution time.
 * Writes bench/results/latest-planning.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { sql, type SQL } from 'drizzle-orm';
import pg from 'pg';
import { loadConfig } from '../server/config.js';
import { openDatabase } from '../server/db/client.js';
import { runMigrations } from '../server/db/migrate.js';
import { laborQuery, warningsQuery } from '../server/planning/planning.repository.js';
import { testLogger } from '../test/support/logs.js';

const args = process.argv.slice(2);
const RUNS = Number(args[args.indexOf('--runs') + 1]) || 30;
const KEEP = args.includes('--keep-db');
const BASE = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const NAME = `crewplots_bench_planning_${randomBytes(3).toString('hex')}`;
const WEEK = '2031-06-02';
const PEOPLE = 30;
const HISTORY_WEEKS = 52;

async function admin(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: BASE });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/** The data, in set-based SQL: people, memberships, shifts, availability and time off. */
const SEED = `
insert into locations (name, timezone) values ('Location A', 'Europe/Amsterdam'), ('Location B', 'Europe/Amsterdam');
insert into users (email, name, role, password_hash, hourly_rate, max_weekly_hours)
  select 'person' || n || '@bench.example', 'Person ' || n, 'crew', 'x', 15 + n % 5, 30 from generate_series(1, ${PEOPLE}) n;
insert into location_members (user_id, location_id, position) select u.id, l.id, 'Bar' from users u, locations l;
-- The measured week and ${HISTORY_WEEKS} weeks before it, at both locations.
insert into schedules (location_id, week_start, status, published_at)
  select l.id, date '${WEEK}' - 7 * w, 'published', now() from locations l, generate_series(0, ${HISTORY_WEEKS}) w;
-- At A: five days 09:00–15:00 local for everyone (150 shifts a week), staggered by person so they
-- do not all start together; at B: Tuesday and Thursday 17:00–22:00 (60 shifts a week).
insert into shifts (schedule_id, user_id, position, starts_at, ends_at)
  select s.id, u.id, 'Bar',
         ((s.week_start + d)::timestamp + interval '9 hours' + (u.id % 3) * interval '10 minutes') at time zone 'Europe/Amsterdam',
         ((s.week_start + d)::timestamp + interval '15 hours' + (u.id % 3) * interval '10 minutes') at time zone 'Europe/Amsterdam'
  from schedules s join locations l on l.id = s.location_id and l.name = 'Location A', users u, generate_series(0, 4) d;
insert into shifts (schedule_id, user_id, position, starts_at, ends_at)
  select s.id, u.id, 'Kitchen',
         ((s.week_start + d)::timestamp + interval '17 hours') at time zone 'Europe/Amsterdam',
         ((s.week_start + d)::timestamp + interval '22 hours') at time zone 'Europe/Amsterdam'
  from schedules s join locations l on l.id = s.location_id and l.name = 'Location B', users u, (values (1), (3)) as days(d);
insert into availability (user_id, weekday, from_minute, to_minute)
  select u.id, w.weekday, w.f, w.t from users u, (values (1, 0, 600), (3, 720, 1440), (6, 0, 1440)) as w(weekday, f, t);
-- This week: approved time off on Wednesday, pending on Friday; and ten older entries each.
insert into time_off (user_id, starts_on, ends_on, status)
  select u.id, date '${WEEK}' + 2, date '${WEEK}' + 2, 'approved'::time_off_status from users u
  union all select u.id, date '${WEEK}' + 4, date '${WEEK}' + 4, 'pending'::time_off_status from users u
  union all select u.id, date '${WEEK}' - 30 * k, date '${WEEK}' - 30 * k + 2, 'approved'::time_off_status from users u, generate_series(1, 10) k;
analyze;
`;

interface Plan {
  'Planning Time': number;
  'Execution Time': number;
}

async function measure(db: Awaited<ReturnType<typeof openDatabase>>['db'], query: SQL): Promise<{ medianMs: number; p90Ms: number; plan: string; rows: number }> {
  const rows = ((await db.execute(query)) as unknown as { rows: unknown[] }).rows.length;
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const res = (await db.execute(sql`explain (analyze, buffers, format json) ${query}`)) as unknown as { rows: Array<{ 'QUERY PLAN': Plan[] }> };
    const [plan] = res.rows[0]!['QUERY PLAN'];
    times.push(plan!['Planning Time'] + plan!['Execution Time']);
  }
  const text = (await db.execute(sql`explain (analyze, buffers, costs off, summary on) ${query}`)) as unknown as { rows: Array<{ 'QUERY PLAN': string }> };
  times.sort((a, b) => a - b);
  return {
    medianMs: times[Math.floor(times.length / 2)]!,
    p90Ms: times[Math.floor(times.length * 0.9)]!,
    plan: text.rows.map((r) => r['QUERY PLAN']).join('\n'),
    rows,
  };
}

async function main(): Promise<void> {
  await admin(`create database ${NAME}`);
  const url = BASE.replace(/\/[^/]*$/, `/${NAME}`);
  const logger = testLogger('warn');
  const handle = await openDatabase(loadConfig({ ...process.env, DATABASE_URL: url }), logger);
  try {
    await runMigrations(handle, logger);
    await handle.db.execute(sql.raw(SEED));
    const [week] = ((await handle.db.execute(sql`select s.id from schedules s join locations l on l.id = s.location_id where l.name = 'Location A' and s.week_start = ${WEEK}`)) as unknown as { rows: Array<{ id: number }> }).rows;
    const counts = ((await handle.db.execute(sql`select (select count(*) from shifts)::int as shifts, (select count(*) from shifts where schedule_id = ${week!.id})::int as week, (select count(*) from time_off)::int as time_off`)) as unknown as { rows: Array<Record<string, number>> }).rows[0]!;
    const warnings = await measure(handle.db, warningsQuery(week!.id));
    const labor = await measure(handle.db, laborQuery(week!.id));
    const version = ((await handle.db.execute(sql`select version()`)) as unknown as { rows: Array<{ version: string }> }).rows[0]!.version;

    const out = [
      `# Warnings and labor on a cache miss (${new Date().toISOString()})`,
      '',
      `${version}. Data: ${counts.shifts} shifts in all, ${counts.week} in the measured week at location A, ${PEOPLE} people each with 2 shifts at location B that week, ${counts.time_off} time-off entries. ${RUNS} runs each, after one warm-up.`,
      '',
      '| statement | rows | Postgres time, median | p90 | target |',
      '|---|---|---|---|---|',
      `| warnings (\`GET /api/schedules/:id/warnings\`, miss) | ${warnings.rows} | ${warnings.medianMs.toFixed(2)} ms | ${warnings.p90Ms.toFixed(2)} ms | ≤ 20 ms: ${warnings.medianMs <= 20 ? 'met' : '**missed**'} |`,
      `| labor (\`GET /api/schedules/:id/labor\`, miss) | ${labor.rows} | ${labor.medianMs.toFixed(2)} ms | ${labor.p90Ms.toFixed(2)} ms | – |`,
      '',
      '## Plan: warnings',
      '',
      '```',
      warnings.plan,
      '```',
      '',
      '## Plan: labor',
      '',
      '```',
      labor.plan,
      '```',
      '',
    ].join('\n');
    const dir = path.join(import.meta.dirname, 'results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'latest-planning.md'), out);
    console.log(out.split('## Plan')[0]);
  } finally {
    await handle.close();
    if (!KEEP) await admin(`drop database ${NAME}`);
  }
}

await main();
