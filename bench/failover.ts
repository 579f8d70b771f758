/**
 * Failover run (issue 12; not part of `npm test`): three compiled instances behind a real HAProxy
 * started from the shipped deploy/haproxy.cfg (only its addresses changed), under a mixed load
 * with logins, while one instance is stopped: SIGTERM (as an orchestrator stops it), then, on a
 * fresh set, `kill -9`. Loopback only; every loop is bounded in time and stops by itself.
 *
 *   node_modules/.bin/tsx bench/failover.ts [--workers 16] [--warm 8] [--after 12] [--only sigterm,kill9] [--no-build]
 *
 * Reports, per scenario: client requests through HAProxy that failed (no answer, or a 5xx),
 * acknowledged logins whose session is gone afterwards, acknowledged writes missing from
 * Postgres, 5xx other than 503, and the longest span of 503s. Results: bench/results/latest-failover.md.
 *
 * Postgres is a database of the run's own on the machine's server; Redis a private redis-server
 * (AOF) on a free port. The Redis topology scenarios (Sentinel, Cluster) are not here yet: they
 * need the server's Sentinel and Cluster configuration (issue 12, items 1–3).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import pg from 'pg';
import { startHaproxy, type RunningHaproxy } from '../test/support/haproxy.js';
import { buildServer, machine } from './lib/build.js';
import { appLogin, cookieOf, request } from './lib/http.js';
import { BUILD, RESULTS, freePort, keepWork, onExit, removeWork, sleep, startProc, stopAll, waitFor, type Proc } from './lib/proc.js';
import { PASSWORD, migrate, seed, type Seeded } from './lib/seed.js';
import { BENCH_PREFIX, SHARED_PG, createDatabase, dropDatabase, startPrivateRedis, type PrivateRedis } from './lib/services.js';
import { table } from './lib/stats.js';

const argv = process.argv.slice(2);
const value = (name: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const WORKERS = Number(value('workers') ?? 16);
const WARM_S = Number(value('warm') ?? 8);
const AFTER_S = Number(value('after') ?? 12);
const ONLY = (value('only') ?? 'sigterm,kill9').split(',');
const INSTANCES = 3;
/** Production's default, and what deploy/docker-compose.ha.yml sets. */
const SHUTDOWN_DELAY_MS = 3_000;
const DB_NAME = `crewplots_bench_failover`;
const CREW = 974;
const log = (line: string) => process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);

interface Sample {
  t: number;
  op: string;
  status: number;
  /** Who answered a 5xx: HAProxy's own page, or the app's problem+json. */
  error?: string;
}

const answeredBy = (res: { status: number; headers: http.IncomingHttpHeaders }) =>
  res.status < 500 ? undefined : String(res.headers['content-type']).startsWith('application/problem+json') ? 'app' : 'haproxy';

interface Result {
  scenario: string;
  requests: number;
  failed: number;
  failedByOp: Record<string, number>;
  non503: number;
  longest503Ms: number;
  logins: number;
  loginsLost: number;
  writes: number;
  writesMissing: number;
  exitCode: number | null;
  haproxyDown: string[];
}

let redis: PrivateRedis | undefined;
let proxy: RunningHaproxy | undefined;
let apps: Proc[] = [];

async function startInstances(dbUrl: string, redisPort: number): Promise<Array<{ proc: Proc; port: number }>> {
  const secret = randomBytes(32).toString('hex');
  const started = await Promise.all(
    Array.from({ length: INSTANCES }, async (_, i) => {
      const port = await freePort();
      const proc = startProc(`failover-app${i + 1}-${Date.now().toString(36)}`, process.execPath, [path.join(BUILD, 'server/index.js')], {
        env: {
          PATH: process.env.PATH,
          NODE_ENV: 'production',
          PORT: String(port),
          LOG_LEVEL: 'info',
          SESSION_SECRET: secret,
          COOKIE_SECURE: 'false',
          TRUST_PROXY: '1',
          DATABASE_URL: dbUrl,
          REDIS_HOST: '127.0.0.1',
          REDIS_PORT: String(redisPort),
          REDIS_PREFIX: BENCH_PREFIX,
          SHUTDOWN_DELAY_MS: String(SHUTDOWN_DELAY_MS),
        },
      });
      await waitFor(`app${i + 1}`, async () => (await request(`http://127.0.0.1:${port}/api/health`)).status === 200, 90_000, proc);
      return { proc, port };
    }),
  );
  apps = started.map((s) => s.proc);
  return started;
}

async function scenario(name: 'sigterm' | 'kill9', seeded: Seeded, dbUrl: string): Promise<Result> {
  log(`${name}: starting ${INSTANCES} instances and HAProxy (deploy/haproxy.cfg)`);
  const instances = await startInstances(dbUrl, redis!.port);
  const bind = `127.0.0.1:${await freePort()}`;
  proxy = await startHaproxy(
    bind,
    instances.map((inst, i) => ({ name: `app${i + 1}`, address: `127.0.0.1:${inst.port}` })),
  );
  const base = `http://${bind}`;
  const cookies: string[] = [];
  for (let i = 0; i < 8; i++) cookies.push(await appLogin(base, seeded.adminEmails[i % seeded.adminEmails.length]!, PASSWORD));

  const samples: Sample[] = [];
  const logins: Array<{ cookie: string; t: number }> = [];
  const writes = new Map<number, Array<{ notes: string; acked: boolean }>>();
  const t0 = Date.now();
  const now = () => (Date.now() - t0) / 1000;
  const agent = new http.Agent({ keepAlive: true, maxSockets: WORKERS });
  let stopped = false;
  let loginSeq = 0;

  const worker = async (w: number) => {
    const shifts = seeded.shifts.filter((_, i) => i % WORKERS === w);
    let seq = 0;
    while (!stopped) {
      seq++;
      const r = Math.random();
      let op: string;
      let status = 0;
      let error: string | undefined;
      try {
        if (r < 0.1) {
          op = 'login';
          const email = `crew${(loginSeq++ % CREW) + 1}@bench.crewplots.example`;
          const res = await request(`${base}/api/auth/login`, { method: 'POST', body: { email, password: PASSWORD }, agent, timeoutMs: 15_000 });
          status = res.status;
          error = answeredBy(res);
          if (status === 200) logins.push({ cookie: cookieOf(res, 'crewplots.sid'), t: now() });
        } else if (r < 0.9) {
          const user = r < 0.5;
          op = user ? 'get-user' : 'get-schedule';
          const url = user
            ? `/api/users/${seeded.userIds[Math.floor(Math.random() * seeded.userIds.length)]}`
            : `/api/schedules/${seeded.scheduleIds[Math.floor(Math.random() * seeded.scheduleIds.length)]}`;
          const res = await request(`${base}${url}`, { agent, headers: { cookie: cookies[w % cookies.length]! }, timeoutMs: 15_000 });
          status = res.status;
          error = answeredBy(res);
        } else {
          op = 'edit-shift';
          const [scheduleId, shiftId] = shifts[seq % shifts.length]!;
          const notes = `failover ${name} w${w} n${seq}`;
          const attempts = writes.get(shiftId) ?? [];
          writes.set(shiftId, attempts);
          const attempt = { notes, acked: false };
          attempts.push(attempt);
          const res = await request(`${base}/api/schedules/${scheduleId}/shifts/${shiftId}`, {
            method: 'PATCH',
            body: { notes },
            agent,
            headers: { cookie: cookies[w % cookies.length]! },
            timeoutMs: 15_000,
          });
          status = res.status;
          error = answeredBy(res);
          attempt.acked = status === 200;
        }
      } catch (err) {
        op ??= 'unknown';
        error = (err as Error).message;
      }
      samples.push({ t: now(), op: op!, status, error });
    }
  };

  const workers = Array.from({ length: WORKERS }, (_, w) => worker(w));
  await sleep(WARM_S * 1000);
  const victim = apps[1]!;
  const faultAt = now();
  log(`${name}: t=${faultAt.toFixed(1)} s: ${name === 'sigterm' ? 'SIGTERM to' : 'kill -9 of'} app2 (pid ${victim.child.pid})`);
  victim.child.kill(name === 'sigterm' ? 'SIGTERM' : 'SIGKILL');
  const exitCode = await victim.exited;
  log(`${name}: t=${now().toFixed(1)} s: app2 exited (${exitCode}); load goes on for ${AFTER_S} s`);
  await sleep(AFTER_S * 1000);
  stopped = true;
  await Promise.all(workers);
  agent.destroy();

  // ---- verdict -----------------------------------------------------------------------------------
  let loginsLost = 0;
  for (const l of logins) {
    const res = await request(`${base}/api/auth/me`, { headers: { cookie: l.cookie } });
    if (res.status !== 200) loginsLost++;
  }
  const db = new pg.Client({ connectionString: dbUrl });
  await db.connect();
  const rows = (await db.query('select id, notes from shifts where id = any($1)', [[...writes.keys()]])).rows as Array<{ id: number; notes: string | null }>;
  await db.end();
  const stored = new Map(rows.map((r) => [r.id, r.notes]));
  let writesMissing = 0;
  let ackedWrites = 0;
  for (const [id, attempts] of writes) {
    const last = attempts.map((a) => a.acked).lastIndexOf(true);
    if (last < 0) continue;
    ackedWrites += attempts.filter((a) => a.acked).length;
    // The last acknowledged value, or a later one that committed unanswered.
    if (!attempts.slice(last).some((a) => a.notes === stored.get(id))) writesMissing++;
  }
  const failed = samples.filter((s) => s.status === 0 || s.status >= 500);
  const failedByOp: Record<string, number> = {};
  for (const f of failed) {
    const key = `${f.op} ${f.status || ''} ${f.error ?? ''}`.replace(/\s+/g, ' ').trim();
    failedByOp[key] = (failedByOp[key] ?? 0) + 1;
  }
  const haproxyDown = proxy.output().split('\n').filter((l) => / is DOWN/.test(l)).map((l) => l.replace(/^.*(Server \S+ is DOWN, reason: [^,]+(, code: \d+)?).*$/, '$1'));

  await proxy.stop();
  proxy = undefined;
  await Promise.all(apps.map((a) => a.stop()));
  apps = [];
  return {
    scenario: name,
    requests: samples.length,
    failed: failed.length,
    failedByOp,
    non503: samples.filter((s) => s.status >= 500 && s.status !== 503).length,
    longest503Ms: longestSpan(samples, 503),
    logins: logins.length,
    loginsLost,
    writes: ackedWrites,
    writesMissing,
    exitCode,
    haproxyDown,
  };
}

/** The longest time between the first and last of an unbroken run of `status` answers, in ms. */
function longestSpan(samples: Sample[], status: number): number {
  let longest = 0;
  let start: number | undefined;
  let last = 0;
  for (const s of [...samples].sort((a, b) => a.t - b.t)) {
    if (s.status === status) {
      start ??= s.t;
      last = s.t;
      longest = Math.max(longest, (last - start) * 1000);
    } else {
      start = undefined;
    }
  }
  return Math.round(longest);
}

async function main(): Promise<void> {
  onExit(async () => {
    await proxy?.stop().catch(() => {});
    await redis?.destroy().catch(() => {});
    await stopAll();
  });
  if (!argv.includes('--no-build')) {
    log('compiling server/ and shared/ (tsconfig.build.json) for this run');
    buildServer();
  }
  const dbUrl = await createDatabase(SHARED_PG, DB_NAME);
  migrate(dbUrl);
  const seeded = await seed(dbUrl);
  redis = await startPrivateRedis('failover-redis', { aof: true });

  const results: Result[] = [];
  try {
    for (const name of ['sigterm', 'kill9'] as const) if (ONLY.includes(name)) results.push(await scenario(name, seeded, dbUrl));
  } catch (err) {
    keepWork();
    throw err;
  } finally {
    await redis.destroy();
    redis = undefined;
    await dropDatabase(SHARED_PG, DB_NAME);
  }

  const pct = (n: number, of: number) => `${((100 * n) / Math.max(1, of)).toFixed(3)} %`;
  const rows = results.map((r) => [
    r.scenario === 'sigterm' ? 'SIGTERM of one instance' : 'kill -9 of one instance',
    String(r.requests),
    `${r.failed} (${pct(r.failed, r.requests)})`,
    r.scenario === 'sigterm' ? '0' : '≤ 0.1 %',
    String(r.non503),
    `${r.longest503Ms} ms`,
    `${r.loginsLost} / ${r.logins}`,
    `${r.writesMissing} / ${r.writes}`,
    String(r.exitCode),
  ]);
  const md = [
    `# Failover run ${new Date().toISOString()}`,
    '',
    `${INSTANCES} instances behind HAProxy (deploy/haproxy.cfg), ${WORKERS} closed-loop clients: 10 % logins, 40 % GET user, 40 % GET schedule, 10 % PATCH shift notes; ${WARM_S} s before the fault, ${AFTER_S} s after the instance exited. SHUTDOWN_DELAY_MS=${SHUTDOWN_DELAY_MS}.`,
    '',
    table(['scenario', 'requests', 'failed (no answer or 5xx)', 'target', '5xx other than 503', 'longest run of 503s', 'logins lost / acknowledged', 'writes missing / acknowledged', 'exit code'], rows),
    '',
    ...results.map((r) => `- ${r.scenario}: failures ${JSON.stringify(r.failedByOp)}; HAProxy: ${r.haproxyDown.join('; ') || 'no server marked down'}`),
    '',
    `Machine: ${JSON.stringify(machine())}`,
    '',
  ].join('\n');
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(path.join(RESULTS, 'latest-failover.md'), md);
  writeFileSync(path.join(RESULTS, 'latest-failover.json'), JSON.stringify(results, null, 2));
  process.stdout.write(`\n${md}`);
  await stopAll();
  removeWork();
}

main().catch(async (err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  await proxy?.stop().catch(() => {});
  await redis?.destroy().catch(() => {});
  await stopAll();
  process.exit(1);
});
