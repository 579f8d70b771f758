/**
 * Fault run (issue 7; not part of `npm test`): scenario-4 traffic while Redis is stopped for 10 s
 * and started again, then while Postgres restarts. Both are instances this script starts itself
 * on free ports (a redis-server with AOF as in production, a throwaway Postgres cluster made with
 * initdb as the `postgres` user): the machine's shared services are never touched.
 *
 *   node_modules/.bin/tsx bench/fault.ts [--workers 16] [--redis-down 10] [--no-build] [--variant NAME]
 *
 * --variant runs a variant of bench/lib/variants.ts instead of the app as it is (e.g. v-no-destroy).
 *
 * Reports 5xx other than 503 (must be 0), the longest response, time to full recovery after each
 * fault, acknowledged writes missing from Postgres afterwards (must be 0), sessions lost, and
 * cache entries still stale once the run is over. Results: bench/results/latest-fault.md.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import pg from 'pg';
import { buildServer, machine } from './lib/build.js';
import { appLogin, metric, request, scrape } from './lib/http.js';
import { BUILD, LOAD_CORE, LOGS, RESULTS, SERVER_CORE, WORK, freePort, keepWork, onExit, removeWork, sleep, startProc, stopAll, waitFor, type Proc } from './lib/proc.js';
import { PASSWORD, WEEK, migrate, seed, type Seeded } from './lib/seed.js';
import { BENCH_PREFIX, createDatabase, startPrivatePostgres, startPrivateRedis, type PrivatePostgres, type PrivateRedis } from './lib/services.js';
import { table } from './lib/stats.js';
import { VARIANTS, materialise } from './lib/variants.js';
import { argv, value } from './lib/args.js';

const WORKERS = Number(value('workers') ?? 16);
const REDIS_DOWN_S = Number(value('redis-down') ?? 10);
const WARM_S = 10;
const SETTLE_S = 10;
const RECOVERY_WINDOW_S = 5;
const RECOVERY_LIMIT_S = 60;
const METRICS_TOKEN = `fault-metrics-${randomBytes(12).toString('hex')}`;
const log = (line: string) => process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);

interface Sample {
  /** Seconds since the load started, at the answer. */
  t: number;
  op: string;
  status: number;
  ms: number;
}

interface Attempt {
  value: string;
  acked: boolean;
  t: number;
}

let redis: PrivateRedis | undefined;
let postgres: PrivatePostgres | undefined;
let app: Proc | undefined;

async function main(): Promise<void> {
  // The load generator shares the load core with Redis; the server has the other one.
  spawnSync('taskset', ['-p', '-c', LOAD_CORE, String(process.pid)], { stdio: 'ignore' });
  onExit(async () => {
    await app?.stop().catch(() => {});
    await redis?.destroy().catch(() => {});
    await postgres?.destroy().catch(() => {});
    await stopAll();
  });
  if (!argv.includes('--no-build')) {
    log('compiling server/ and shared/ (tsconfig.build.json) for this run');
    buildServer();
  }

  log('private Postgres (initdb as postgres) and private Redis (AOF) on free ports');
  postgres = await startPrivatePostgres();
  const dbUrl = await createDatabase(postgres.url, 'crewplots_bench_fault');
  migrate(dbUrl);
  const seeded = await seed(dbUrl);
  redis = await startPrivateRedis('fault-redis', { aof: true });

  const variantName = value('variant');
  const variant = variantName ? VARIANTS.find((v) => v.name === variantName) : undefined;
  if (variantName && !variant) throw new Error(`unknown variant ${variantName}`);
  const build = variant ? materialise(variant) : BUILD;
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  app = startProc('fault-app', process.execPath, [path.join(build, 'server/index.js')], {
    core: SERVER_CORE,
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      PORT: String(port),
      LOG_LEVEL: 'info',
      SESSION_SECRET: randomBytes(32).toString('hex'),
      COOKIE_SECURE: 'false',
      DATABASE_URL: dbUrl,
      REDIS_HOST: '127.0.0.1',
      REDIS_PORT: String(redis.port),
      REDIS_PREFIX: BENCH_PREFIX,
      METRICS_TOKEN,
    },
  });
  await waitFor('app', async () => (await request(`${base}/api/health/live`)).status === 200, 60_000, app);
  const cookies: string[] = [];
  for (let i = 0; i < 8; i++) cookies.push(await appLogin(base, seeded.adminEmails[i % seeded.adminEmails.length]!, PASSWORD));

  // ---- load --------------------------------------------------------------------------------------
  const samples: Sample[] = [];
  const shiftAttempts = new Map<number, Attempt[]>();
  const userAttempts = new Map<number, Attempt[]>();
  const inserted: Array<{ id: number; notes: string }> = [];
  let sessionsLost = 0;
  let stopped = false;
  const t0 = Date.now();
  const now = () => (Date.now() - t0) / 1000;
  const agent = new http.Agent({ keepAlive: true, maxSockets: WORKERS });
  const ownShifts = (w: number) => seeded.shifts.filter((_, i) => i % WORKERS === w);
  const ownCrew = (w: number) => seeded.crewIds.filter((_, i) => i % WORKERS === w);
  const relogins = new Map<number, Promise<void>>();

  const worker = async (w: number) => {
    const shifts = ownShifts(w);
    const crew = ownCrew(w);
    let seq = 0;
    while (!stopped) {
      seq++;
      const slot = w % cookies.length;
      const cookie = cookies[slot]!;
      const r = Math.random();
      let op: string;
      let url: string;
      let method = 'GET';
      let body: unknown;
      let record: ((status: number, text: string) => void) | undefined;
      if (r < 0.5) {
        op = 'get-user';
        url = `/api/users/${seeded.userIds[Math.floor(Math.random() * seeded.userIds.length)]}`;
      } else if (r < 0.9) {
        op = 'get-schedule';
        url = `/api/schedules/${seeded.scheduleIds[Math.floor(Math.random() * seeded.scheduleIds.length)]}`;
      } else if (r < 0.94) {
        op = 'edit-shift';
        const [scheduleId, shiftId] = shifts[seq % shifts.length]!;
        const notes = `fault w${w} n${seq}`;
        url = `/api/schedules/${scheduleId}/shifts/${shiftId}`;
        method = 'PATCH';
        body = { notes };
        const attempts = shiftAttempts.get(shiftId) ?? [];
        shiftAttempts.set(shiftId, attempts);
        record = (status) => attempts.push({ value: notes, acked: status === 200, t: now() });
      } else if (r < 0.97) {
        op = 'rename';
        const userId = crew[seq % crew.length]!;
        const name = `Crew w${w} n${seq}`;
        url = `/api/users/${userId}`;
        method = 'PATCH';
        body = { name };
        const attempts = userAttempts.get(userId) ?? [];
        userAttempts.set(userId, attempts);
        record = (status) => attempts.push({ value: name, acked: status === 200, t: now() });
      } else {
        op = 'add-shift';
        const scheduleId = seeded.scheduleIds[seq % seeded.scheduleIds.length]!;
        const notes = `fault insert w${w} n${seq}`;
        url = `/api/schedules/${scheduleId}/shifts`;
        method = 'POST';
        body = { position: 'Runner', startsAt: `${nextDay(WEEK)}T09:00:00.000Z`, endsAt: `${nextDay(WEEK)}T13:00:00.000Z`, notes };
        record = (status, text) => {
          if (status === 201) inserted.push({ id: (JSON.parse(text) as { id: number }).id, notes });
        };
      }
      const started = performance.now();
      let status = 0;
      let text = '';
      try {
        const res = await request(`${base}${url}`, { method, body, agent, headers: { cookie }, timeoutMs: 15_000 });
        status = res.status;
        text = res.body;
      } catch {
        status = 0; // no answer: a socket error or our 15 s timeout
      }
      samples.push({ t: now(), op, status, ms: performance.now() - started });
      record?.(status, text);
      if (status === 401) {
        // The session is gone: count it once per slot, and sign in again as a browser would.
        if (!relogins.has(slot)) {
          sessionsLost++;
          relogins.set(
            slot,
            (async () => {
              for (;;) {
                try {
                  cookies[slot] = await appLogin(base, seeded.adminEmails[slot % seeded.adminEmails.length]!, PASSWORD);
                  return;
                } catch {
                  await sleep(250);
                }
              }
            })().finally(() => relogins.delete(slot)),
          );
        }
        await relogins.get(slot);
      } else if (status < 200 || status >= 300) {
        await sleep(50);
      }
    }
  };

  // The cache's view, twice a second: breaker state and hits (the metrics route needs no session).
  const cacheTimeline: Array<{ t: number; breaker: number; hits: number; bypasses: number }> = [];
  const poller = (async () => {
    while (!stopped) {
      try {
        const m = await scrape(base, METRICS_TOKEN);
        cacheTimeline.push({ t: now(), breaker: metric(m, 'crewplots_cache_breaker_state'), hits: metric(m, 'crewplots_cache_hits_total'), bypasses: metric(m, 'crewplots_cache_bypasses_total') });
      } catch {
        // the server is busy; next time
      }
      await sleep(500);
    }
  })();

  log(`load: ${WORKERS} workers, scenario-4 mix (writes: shift notes, renames, open-shift inserts)`);
  const workers = Array.from({ length: WORKERS }, (_, w) => worker(w));

  const events: Record<string, number> = {};
  await sleep(WARM_S * 1000);
  events.redisStop = now();
  log(`t=${events.redisStop.toFixed(1)} s: stopping Redis (SIGTERM) for ${REDIS_DOWN_S} s`);
  await redis.stop();
  events.redisStopped = now();
  await sleep(REDIS_DOWN_S * 1000);
  events.redisStart = now();
  await redis.start();
  events.redisUp = now();
  log(`t=${events.redisUp.toFixed(1)} s: Redis is back`);
  events.redisRecovered = await waitRecovered(samples, events.redisUp, now);
  log(`t=${now().toFixed(1)} s: ${Number.isFinite(events.redisRecovered) ? `every answer 2xx again since t=${events.redisRecovered.toFixed(1)} s` : 'NOT recovered'}`);
  await sleep(SETTLE_S * 1000);
  events.pgRestart = now();
  log(`t=${events.pgRestart.toFixed(1)} s: restarting Postgres (pg_ctl restart -m fast)`);
  const restart = await postgres.restart();
  events.pgUp = (restart.upAt - t0) / 1000;
  log(`t=${events.pgUp.toFixed(1)} s: Postgres is back`);
  events.pgRecovered = await waitRecovered(samples, events.pgUp, now);
  log(`t=${now().toFixed(1)} s: ${Number.isFinite(events.pgRecovered) ? `every answer 2xx again since t=${events.pgRecovered.toFixed(1)} s` : 'NOT recovered'}`);
  await sleep(SETTLE_S * 1000);
  stopped = true;
  await Promise.all(workers);
  await poller;
  agent.destroy();
  events.end = now();

  // ---- verdict -----------------------------------------------------------------------------------
  await sleep(2_000);
  const db = new pg.Client({ connectionString: dbUrl });
  await db.connect();
  const lost: string[] = [];
  const checkOwned = async (attempts: Map<number, Attempt[]>, sql: string, field: string, what: string) => {
    const ids = [...attempts.keys()];
    const rows = (await db.query(sql, [ids])).rows as Array<Record<string, unknown>>;
    const actual = new Map(rows.map((r) => [Number(r.id), String(r[field])]));
    let acked = 0;
    for (const [id, list] of attempts) {
      const lastAcked = list.map((a) => a.acked).lastIndexOf(true);
      if (lastAcked < 0) continue;
      acked += list.filter((a) => a.acked).length;
      // The row must hold the last acknowledged value, or a later attempt's (one that committed unanswered).
      const allowed = new Set(list.slice(lastAcked).map((a) => a.value));
      if (!allowed.has(actual.get(id) ?? '')) lost.push(`${what} ${id}: expected ${list[lastAcked]!.value}, found ${actual.get(id)}`);
    }
    return acked;
  };
  const ackedEdits = await checkOwned(shiftAttempts, 'select id, notes from shifts where id = any($1)', 'notes', 'shift');
  const ackedRenames = await checkOwned(userAttempts, 'select id, name from users where id = any($1)', 'name', 'user');
  const insertedRows = (await db.query('select id, notes from shifts where id = any($1)', [inserted.map((i) => i.id)])).rows as Array<{ id: number; notes: string }>;
  const present = new Map(insertedRows.map((r) => [r.id, r.notes]));
  for (const i of inserted) if (present.get(i.id) !== i.notes) lost.push(`inserted shift ${i.id} missing`);

  // Cache freshness once it is over: what the API serves must be what Postgres holds.
  const stale: string[] = [];
  for (const scheduleId of seeded.scheduleIds) {
    const res = await request(`${base}/api/schedules/${scheduleId}`, { headers: { cookie: cookies[0]! } });
    const served = new Map((JSON.parse(res.body) as { shifts: Array<{ id: number; notes: string | null; userName: string | null }> }).shifts.map((s) => [s.id, `${s.notes}|${s.userName}`]));
    const rows = (await db.query('select s.id, s.notes, u.name from shifts s left join users u on u.id = s.user_id where s.schedule_id = $1', [scheduleId])).rows as Array<{ id: number; notes: string | null; name: string | null }>;
    const diff = rows.filter((r) => served.get(r.id) !== `${r.notes}|${r.name}`).length + Math.max(0, served.size - rows.length);
    if (diff > 0) stale.push(`schedule ${scheduleId}: ${diff} shift(s) differ from Postgres`);
  }
  for (const userId of userAttempts.keys()) {
    const res = await request(`${base}/api/users/${userId}`, { headers: { cookie: cookies[0]! } });
    const row = (await db.query('select name from users where id = $1', [userId])).rows[0] as { name: string };
    if ((JSON.parse(res.body) as { name: string }).name !== row.name) stale.push(`user ${userId}: cached name differs from Postgres`);
  }
  await db.end();

  await app.stop();
  const appLog = app.log;
  app = undefined;
  const errorLines = grepCount(appLog, '"level":50');
  await redis.destroy();
  redis = undefined;
  await postgres.destroy();
  postgres = undefined;

  // ---- report ------------------------------------------------------------------------------------
  const phase = (from: number, to: number) => samples.filter((s) => s.t >= from && s.t < to);
  const phases: Array<[string, Sample[]]> = [
    ['warm (before any fault)', phase(0, events.redisStop!)],
    [`Redis down ${REDIS_DOWN_S} s, until recovered`, phase(events.redisStop!, Number.isFinite(events.redisRecovered) ? events.redisRecovered! + 0.001 : events.pgRestart!)],
    ['between faults', phase(Number.isFinite(events.redisRecovered) ? events.redisRecovered! + 0.001 : events.pgRestart!, events.pgRestart!)],
    ['Postgres restart, until recovered', phase(events.pgRestart!, Number.isFinite(events.pgRecovered) ? events.pgRecovered! + 0.001 : events.end!)],
    ['after', phase(Number.isFinite(events.pgRecovered) ? events.pgRecovered! + 0.001 : events.end!, Infinity)],
  ];
  const counts = (xs: Sample[]) => {
    const c: Record<string, number> = {};
    for (const s of xs) c[s.status] = (c[s.status] ?? 0) + 1;
    return c;
  };
  const bad5xx = samples.filter((s) => s.status >= 500 && s.status !== 503).length;
  const noAnswer = samples.filter((s) => s.status === 0).length;
  const longest = samples.reduce((m, s) => (s.ms > m.ms ? s : m), samples[0]!);
  const firstHitAfter = (from: number) => {
    const before = cacheTimeline.filter((c) => c.t <= from).at(-1);
    return cacheTimeline.find((c) => c.t > from && c.breaker === 0 && before !== undefined && c.hits > before.hits)?.t;
  };
  const cacheBackAt = firstHitAfter(events.redisUp!);
  const rows = phases.map(([name, xs]) => [
    name,
    String(xs.length),
    JSON.stringify(counts(xs)),
    xs.length ? `${Math.max(...xs.map((s) => s.ms)).toFixed(0)} ms` : '–',
  ]);
  const m = machine();
  const verdict = (ok: boolean) => (ok ? 'met' : '**missed**');
  const md = [
    `# Fault run ${new Date(t0).toISOString()}${variant ? ` (variant ${variant.name}: ${variant.what})` : ''}`,
    '',
    `${m.cpu}; ${m.node}; Redis ${m.redis}; ${m.postgres}; commit ${m.commit}. App compiled, NODE_ENV=production, pinned to core ${SERVER_CORE}; ${WORKERS} closed-loop workers on core ${LOAD_CORE}.`,
    `Events (s since the load started): Redis stopped ${events.redisStop!.toFixed(1)} → started ${events.redisUp!.toFixed(1)}; Postgres restart ${events.pgRestart!.toFixed(1)} → up ${events.pgUp!.toFixed(1)}; end ${events.end!.toFixed(1)}.`,
    '',
    table(['check', 'value', 'target', 'result'], [
      ['5xx other than 503', String(bad5xx), '0', verdict(bad5xx === 0)],
      ['requests with no answer (socket error or 15 s timeout)', String(noAnswer), '0', verdict(noAnswer === 0)],
      ['acknowledged writes missing from Postgres', `${lost.length} (of ${ackedEdits} shift edits, ${ackedRenames} renames, ${inserted.length} inserts acknowledged)`, '0', verdict(lost.length === 0)],
      ['longest response', `${longest.ms.toFixed(0)} ms (${longest.op} → ${longest.status} at t=${longest.t.toFixed(1)} s)`, '', ''],
      ['Redis: recovered (every answer 2xx) after it was back', Number.isFinite(events.redisRecovered) ? `${Math.max(0, events.redisRecovered! - events.redisUp!).toFixed(1)} s` : `not within ${RECOVERY_LIMIT_S} s`, '', ''],
      ['Redis: cache in use again (breaker closed, hits counted) after it was back', cacheBackAt !== undefined ? `${(cacheBackAt - events.redisUp!).toFixed(1)} s` : 'not seen', '', ''],
      ['Postgres: recovered after it was back', Number.isFinite(events.pgRecovered) ? `${Math.max(0, events.pgRecovered! - events.pgUp!).toFixed(1)} s` : `not within ${RECOVERY_LIMIT_S} s`, '', ''],
      ['sessions lost (re-login needed), of 8', String(sessionsLost), '0', verdict(sessionsLost === 0)],
      ['cache entries stale after the run', String(stale.length), '0', verdict(stale.length === 0)],
      ['error-level lines in the server log', String(errorLines), '0', verdict(errorLines === 0)],
    ]),
    '',
    table(['phase', 'requests', 'statuses', 'longest'], rows),
    '',
    ...(lost.length ? ['Missing writes:', ...lost.slice(0, 20).map((l) => `- ${l}`), ''] : []),
    ...(stale.length ? ['Stale entries:', ...stale.slice(0, 20).map((l) => `- ${l}`), ''] : []),
    'Non-2xx answers per second (t: statuses):',
    ...timeline(samples),
  ].join('\n');
  writeFileSync(path.join(RESULTS, variant ? `latest-fault-${variant.name}.md` : 'latest-fault.md'), `${md}\n`);
  writeFileSync(path.join(RESULTS, `fault-${t0}.json`), JSON.stringify({ events, samples, cacheTimeline, lost, stale, sessionsLost }, null, 0));
  process.stdout.write(`\n${md}\n`);
  const failed = bad5xx !== 0 || lost.length !== 0;
  if (failed) keepFailedRun();
  removeWork();
  process.exitCode = failed ? 1 : 0;
}

/** A failed run keeps its work folder, with the private Postgres's log copied in before it goes. */
function keepFailedRun(): void {
  keepWork();
  if (postgres) {
    mkdirSync(LOGS, { recursive: true });
    cpSync(path.join(postgres.dir, 'postgres.log'), path.join(LOGS, 'private-postgres.log'), { force: true });
  }
  process.stderr.write(`logs kept in ${WORK}\n`);
}

/** The day after a Monday, as YYYY-MM-DD. */
function nextDay(monday: string): string {
  return new Date(Date.parse(`${monday}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
}

/** Resolves with the time after which every answer was 2xx for RECOVERY_WINDOW_S seconds (Infinity if not by the limit). */
async function waitRecovered(samples: Sample[], from: number, now: () => number): Promise<number> {
  const deadline = from + RECOVERY_LIMIT_S;
  for (;;) {
    await sleep(250);
    const t = now();
    const recent = samples.filter((s) => s.t >= from);
    const lastBad = recent.filter((s) => s.status < 200 || s.status >= 300).at(-1)?.t ?? from;
    if (t - lastBad >= RECOVERY_WINDOW_S && recent.some((s) => s.t > lastBad)) return lastBad;
    if (t > deadline) return Infinity;
  }
}

function timeline(samples: Sample[]): string[] {
  const bySecond = new Map<number, Record<string, number>>();
  for (const s of samples) {
    if (s.status >= 200 && s.status < 300) continue;
    const k = Math.floor(s.t);
    const c = bySecond.get(k) ?? {};
    c[s.status] = (c[s.status] ?? 0) + 1;
    bySecond.set(k, c);
  }
  return [...bySecond.entries()].sort((a, b) => a[0] - b[0]).map(([k, c]) => `- ${k} s: ${JSON.stringify(c)}`);
}

function grepCount(file: string, pattern: string): number {
  const r = spawnSync('grep', ['-c', pattern, file], { encoding: 'utf8' });
  return Number(r.stdout.trim() || 0);
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  async (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    try {
      keepFailedRun();
    } catch {
      // nothing to keep
    }
    await app?.stop().catch(() => {});
    await redis?.destroy().catch(() => {});
    await postgres?.destroy().catch(() => {});
    await stopAll();
    process.exit(1);
  },
);
