/**
 * Failover run (issue 12; not part of `npm test`): three compiled instances behind a real HAProxy
 * started from the shipped deploy/haproxy.cfg (only its addresses changed), under a mixed load
 * with logins, while something fails. Each scenario starts a fresh set:
 * - `sigterm`, `kill9`: one instance stopped (as an orchestrator does) or killed, on one private
 *   redis-server (AOF); `kill9` keeps the load on until at least --min-requests were made, so its
 *   ≤ 0.1 % target means something;
 * - `sentinel-failover`, `sentinel-kill9`: on a Sentinel group (1 master, 2 replicas, 3
 *   sentinels), `SENTINEL FAILOVER`, or `kill -9` of the master;
 * - `cluster-kill9`: on a Cluster (3 masters, 3 replicas), `kill -9` of a master.
 * Loopback only; every loop is bounded in time and stops by itself.
 *
 *   node_modules/.bin/tsx bench/failover.ts [--workers 16] [--warm 8] [--after 12] [--min-requests 10000]
 *     [--detect-ms 1000] [--only sigterm,kill9,sentinel-failover,sentinel-kill9,cluster-kill9] [--no-build]
 *
 * Reports, per scenario: client requests through HAProxy that failed (no answer, or a 5xx),
 * acknowledged logins whose session is gone afterwards, acknowledged writes missing from
 * Postgres, 5xx other than 503, the longest span of 503s, and whether every instance is healthy
 * again afterwards without a restart. Results: bench/results/latest-failover.md.
 *
 * Postgres is a database of the run's own on the machine's server; Redis private redis-server
 * processes on free ports (test/support/redis-topology.ts for Sentinel and Cluster), stopped by pid.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startHaproxy, type RunningHaproxy } from '../test/support/haproxy.js';
import { startCluster, startSentinelGroup, withNode, type RedisTopologyHandle } from '../test/support/redis-topology.js';
import { buildServer, machine } from './lib/build.js';
import { appLogin, cookieOf, request } from './lib/http.js';
import { BUILD, RESULTS, freePort, keepWork, onExit, removeWork, sleep, startProc, stopAll, waitFor, type Proc } from './lib/proc.js';
import { PASSWORD, migrate, seed, type Seeded } from './lib/seed.js';
import { BENCH_PREFIX, SHARED_PG, createDatabase, dropDatabase, startPrivateRedis, type PrivateRedis } from './lib/services.js';
import { table } from './lib/stats.js';
import { argv, value } from './lib/args.js';

const WORKERS = Number(value('workers') ?? 16);
const WARM_S = Number(value('warm') ?? 8);
const AFTER_S = Number(value('after') ?? 12);
const SCENARIOS = ['sigterm', 'kill9', 'sentinel-failover', 'sentinel-kill9', 'cluster-kill9'] as const;
type Scenario = (typeof SCENARIOS)[number];
const ONLY = (value('only') ?? SCENARIOS.join(',')).split(',');
/** `kill9`: the load goes on after the kill until this many requests were made (at most MAX_AFTER_S). */
const MIN_REQUESTS = Number(value('min-requests') ?? 10_000);
const MAX_AFTER_S = 240;
/** Sentinel's down-after-milliseconds and the Cluster's node timeout: how long until a lost master is noticed. */
const DETECT_MS = Number(value('detect-ms') ?? 1_000);
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
  scenario: Scenario;
  requests: number;
  failed: number;
  failedByOp: Record<string, number>;
  non503: number;
  longest503Ms: number;
  /** From the first 503 after the fault to the last one, in ms: how long anything was refused (0 without 503s). */
  window503Ms: number;
  logins: number;
  loginsLost: number;
  writes: number;
  writesMissing: number;
  /** The fault: the instance's exit code, or what Redis did. */
  fault: string;
  target503Ms: number | undefined;
  /** Every surviving instance answered /api/health 200 afterwards, nothing restarted. */
  recovered: boolean;
  haproxyDown: string[];
  loadAverage: string;
}

let redis: PrivateRedis | undefined;
let topology: RedisTopologyHandle | undefined;
let proxy: RunningHaproxy | undefined;
let apps: Proc[] = [];

const loadAverage = () => os.loadavg().map((l) => l.toFixed(1)).join(' ');

/**
 * Where the instances' Redis is, and the fault to inject there (or in an instance). `inject`
 * resolves with a description once the fault has happened and, for Redis, once the topology has
 * promoted a new master.
 */
interface Setup {
  redisEnv: Record<string, string>;
  inject(victim: Proc): Promise<string>;
  /** The target for the longest run of 503s, in ms (`undefined`: none). */
  target503Ms: number | undefined;
  teardown(): Promise<void>;
}

async function setupFor(name: Scenario): Promise<Setup> {
  if (name === 'sigterm' || name === 'kill9') {
    redis = await startPrivateRedis('failover-redis', { aof: true });
    return {
      redisEnv: { REDIS_HOST: '127.0.0.1', REDIS_PORT: String(redis.port) },
      async inject(victim) {
        victim.child.kill(name === 'sigterm' ? 'SIGTERM' : 'SIGKILL');
        return `app2 exited (${await victim.exited})`;
      },
      target503Ms: undefined,
      async teardown() {
        await redis?.destroy();
        redis = undefined;
      },
    };
  }
  const teardown = async () => {
    await topology?.stop();
    topology = undefined;
  };
  if (name === 'cluster-kill9') {
    topology = await startCluster({ nodeTimeoutMs: DETECT_MS });
    const roles = await Promise.all(topology.nodes.map((n) => withNode(n.port, async (c) => ({ port: n.port, info: await c.info('replication') }))));
    const master = roles.find((r) => /role:master/.test(r.info))!;
    const replica = roles.find((r) => new RegExp(`master_port:${master.port}\\b`).test(r.info))!;
    return {
      redisEnv: topology.env,
      async inject() {
        const started = Date.now();
        topology!.kill(master.port, 'SIGKILL');
        await until(async () => /role:master/.test(await withNode(replica.port, (c) => c.info('replication'))), 60_000);
        return `master :${master.port} killed; its replica :${replica.port} promoted after ${Date.now() - started} ms`;
      },
      target503Ms: DETECT_MS + 2_000,
      teardown,
    };
  }
  topology = await startSentinelGroup({ downAfterMs: DETECT_MS });
  const sentinelPort = Number(topology.env.REDIS_SENTINELS!.split(',')[0]!.split(':')[1]);
  const masterName = topology.env.REDIS_SENTINEL_MASTER!;
  const masterPort = async () => Number(((await withNode(sentinelPort, (c) => c.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', masterName))) as string[])[1]);
  return {
    redisEnv: topology.env,
    async inject() {
      const before = await masterPort();
      const started = Date.now();
      if (name === 'sentinel-failover') await withNode(sentinelPort, (c) => c.call('SENTINEL', 'FAILOVER', masterName));
      else topology!.kill(before, 'SIGKILL');
      await until(async () => (await masterPort()) !== before, 60_000);
      const what = name === 'sentinel-failover' ? 'SENTINEL FAILOVER' : `master :${before} killed`;
      return `${what}; :${await masterPort()} promoted after ${Date.now() - started} ms`;
    },
    // SENTINEL FAILOVER needs no detection; a killed master is noticed after down-after-milliseconds.
    target503Ms: (name === 'sentinel-failover' ? 0 : DETECT_MS) + 2_000,
    teardown,
  };
}

async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms`);
    await sleep(100);
  }
}

async function startInstances(dbUrl: string, redisEnv: Record<string, string>): Promise<Array<{ proc: Proc; port: number }>> {
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
          ...redisEnv,
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

async function scenario(name: Scenario, seeded: Seeded, dbUrl: string): Promise<Result> {
  const setup = await setupFor(name);
  try {
    return await runScenario(name, setup, seeded, dbUrl);
  } finally {
    await setup.teardown();
  }
}

async function runScenario(name: Scenario, setup: Setup, seeded: Seeded, dbUrl: string): Promise<Result> {
  log(`${name}: starting ${INSTANCES} instances and HAProxy (deploy/haproxy.cfg)`);
  const instances = await startInstances(dbUrl, setup.redisEnv);
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
  const load = loadAverage();
  log(`${name}: t=${faultAt.toFixed(1)} s: the fault (load average ${load})`);
  const fault = await setup.inject(victim);
  log(`${name}: t=${now().toFixed(1)} s: ${fault}; load goes on for ${AFTER_S} s${name === 'kill9' ? ` and until ${MIN_REQUESTS} requests` : ''}`);
  await sleep(AFTER_S * 1000);
  if (name === 'kill9') {
    for (const end = Date.now() + (MAX_AFTER_S - AFTER_S) * 1000; samples.length < MIN_REQUESTS && Date.now() < end; ) await sleep(500);
  }
  stopped = true;
  await Promise.all(workers);
  agent.destroy();

  // ---- verdict -----------------------------------------------------------------------------------
  // Recovered without a restart: every instance still running is ready again by itself.
  const alive = instances.filter((inst) => inst.proc.child.exitCode === null && inst.proc.child.signalCode === null);
  let recovered = true;
  try {
    await until(async () => (await Promise.all(alive.map(async (inst) => (await request(`http://127.0.0.1:${inst.port}/api/health`)).status === 200))).every(Boolean), 30_000);
  } catch {
    recovered = false;
    // The instances' logs say why: keep them (bench/results/work/<run>/logs).
    keepWork();
  }
  let loginsLost = 0;
  for (const l of logins) {
    // Gone is a 401; a 503 would be a Redis that has not recovered (counted as not recovered), asked again.
    let status = 0;
    for (let attempt = 0; attempt < 10 && status !== 200 && status !== 401; attempt++) {
      if (attempt > 0) await sleep(500);
      status = (await request(`${base}/api/auth/me`, { headers: { cookie: l.cookie } })).status;
    }
    if (status !== 200) loginsLost++;
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
    window503Ms: windowOf(samples.filter((x) => x.t >= faultAt), 503),
    logins: logins.length,
    loginsLost,
    writes: ackedWrites,
    writesMissing,
    fault,
    target503Ms: setup.target503Ms,
    recovered,
    haproxyDown,
    loadAverage: load,
  };
}

/** From the first `status` answer to the last, in ms. */
function windowOf(samples: Sample[], status: number): number {
  const times = samples.filter((s) => s.status === status).map((s) => s.t);
  return times.length === 0 ? 0 : Math.round((Math.max(...times) - Math.min(...times)) * 1000);
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

const LABELS: Record<Scenario, string> = {
  sigterm: 'SIGTERM of one instance',
  kill9: 'kill -9 of one instance',
  'sentinel-failover': 'Sentinel: SENTINEL FAILOVER',
  'sentinel-kill9': 'Sentinel: kill -9 of the master',
  'cluster-kill9': 'Cluster: kill -9 of a master',
};

async function cleanup(): Promise<void> {
  await proxy?.stop().catch(() => {});
  await redis?.destroy().catch(() => {});
  await topology?.stop().catch(() => {});
  await stopAll();
}

async function main(): Promise<void> {
  onExit(cleanup);
  const unknown = ONLY.filter((n) => !(SCENARIOS as readonly string[]).includes(n));
  if (unknown.length > 0) throw new Error(`unknown scenario ${unknown.join(', ')}: one of ${SCENARIOS.join(', ')}`);
  if (!argv.includes('--no-build')) {
    log('compiling server/ and shared/ (tsconfig.build.json) for this run');
    buildServer();
  }
  const dbUrl = await createDatabase(SHARED_PG, DB_NAME);
  migrate(dbUrl);
  const seeded = await seed(dbUrl);

  const results: Result[] = [];
  try {
    for (const name of SCENARIOS) if (ONLY.includes(name)) results.push(await scenario(name, seeded, dbUrl));
  } catch (err) {
    keepWork();
    throw err;
  } finally {
    await dropDatabase(SHARED_PG, DB_NAME);
  }

  const pct = (n: number, of: number) => `${((100 * n) / Math.max(1, of)).toFixed(3)} %`;
  const rows = results.map((r) => [
    LABELS[r.scenario],
    String(r.requests),
    `${r.failed} (${pct(r.failed, r.requests)})`,
    r.scenario === 'sigterm' ? '0' : r.scenario === 'kill9' ? '≤ 0.1 %' : '—',
    String(r.non503),
    `${r.longest503Ms} ms${r.target503Ms === undefined ? '' : ` (≤ ${r.target503Ms} ms)`}`,
    `${r.window503Ms} ms`,
    `${r.loginsLost} / ${r.logins}`,
    `${r.writesMissing} / ${r.writes}`,
    r.recovered ? 'yes' : '**no**',
    r.loadAverage,
  ]);
  const md = [
    `# Failover run ${new Date().toISOString()}`,
    '',
    `${INSTANCES} instances behind HAProxy (deploy/haproxy.cfg), ${WORKERS} closed-loop clients: 10 % logins, 40 % GET user, 40 % GET schedule, 10 % PATCH shift notes; ${WARM_S} s before the fault, ${AFTER_S} s after it (kill -9 of an instance: and until ${MIN_REQUESTS} requests). SHUTDOWN_DELAY_MS=${SHUTDOWN_DELAY_MS}; Sentinel down-after-milliseconds and Cluster node timeout ${DETECT_MS} ms.`,
    '',
    table(['scenario', 'requests', 'failed (no answer or 5xx)', 'target', '5xx other than 503', 'longest run of 503s (target)', 'first to last 503 after the fault', 'logins lost / acknowledged', 'writes missing / acknowledged', 'recovered without restart', 'load average at the fault'], rows),
    '',
    ...results.map((r) => `- ${r.scenario}: ${r.fault}; failures ${JSON.stringify(r.failedByOp)}; HAProxy: ${r.haproxyDown.join('; ') || 'no server marked down'}`),
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
  await cleanup();
  process.exit(1);
});
