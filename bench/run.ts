/**
 * Crew Plots Pro benchmarks (issue 7). See bench/README.md for what each scenario measures.
 *
 *   node_modules/.bin/tsx bench/run.ts            scenarios 1–6, 5 rounds of 8 s (≈ 8 min)
 *   node_modules/.bin/tsx bench/run.ts --quick    2 rounds of 4 s (≈ 3 min)
 *   node_modules/.bin/tsx bench/run.ts --soak     scenario 7 alone: 5 minutes of scenario 4 (--quick: 30 s)
 *
 * Options: --rounds N, --seconds N (measured), --warmup N, --connections N, --keep-db, --no-build,
 * --only 1,1b,1c,1d,2,3,4 (throughput scenarios to run; 5 and 6 always run unless --no-extra; --only none: just 5 and 6),
 * --stampedes N (repetitions of scenario 5 per instance count, default 3),
 * --idle-streams N (N event streams held open on the app instance throughout: issue 17's last target).
 * Results: bench/results/run-<time>.json and bench/results/latest.md (both git-ignored).
 */
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { buildServer, machine } from './lib/build.js';
import { metric, request, scrape } from './lib/http.js';
import { RESULTS, SERVER_CORE, LOAD_CORE, WORK, hasTaskset, onExit, removeWork, sleep, stopAll } from './lib/proc.js';
import { BENCH_PREFIX } from './lib/services.js';
import { METRICS_TOKEN, startStack, type LogSummary, type Stack } from './lib/stack.js';
import { stampede, type StampedeResult } from './lib/stampede.js';
import { fmt, max, median, table } from './lib/stats.js';
import { checkWrk, errorCount, wrk, type WrkResult } from './lib/wrk.js';
import { flag, value } from './lib/args.js';
import { openIdleStreams } from './lib/idle-streams.js';

// ---- options ------------------------------------------------------------------------------------

const quick = flag('quick');
const soakMode = flag('soak');
const opts = {
  quick,
  soak: soakMode,
  rounds: Number(value('rounds') ?? (quick ? 2 : 5)),
  seconds: Number(value('seconds') ?? (quick ? 4 : 8)),
  warmup: Number(value('warmup') ?? (quick ? 1 : 2)),
  connections: Number(value('connections') ?? 50),
  soakSeconds: Number(value('soak-seconds') ?? (quick ? 30 : 300)),
  only: value('only')?.split(','),
  stampedes: Number(value('stampedes') ?? 3),
  extra: !flag('no-extra'),
  keepDb: flag('keep-db'),
  build: !flag('no-build'),
  idleStreams: Number(value('idle-streams') ?? 0),
};

const log = (line: string) => process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);

// ---- scenarios ----------------------------------------------------------------------------------

interface Scenario {
  id: string;
  label: string;
  server: keyof Stack['servers'];
  script: 'get' | 'mixed';
  args: (stack: Stack) => string[];
}

const MIXED_DATA = path.join(WORK, 'mixed-data.lua');

const SCENARIOS: Scenario[] = [
  { id: '1', label: 'bare Express 5, fixed JSON', server: 'bare', script: 'get', args: (s) => [s.userPath, ...s.cookies.memory] },
  { id: '1b', label: 'Express + express-session (MemoryStore), JSON in memory', server: 'memory', script: 'get', args: (s) => [s.userPath, ...s.cookies.memory] },
  { id: '1c', label: 'as the integration guide writes it (connect-redis + touch, cacheUtils)', server: 'guide', script: 'get', args: (s) => [s.userPath, ...s.cookies.guide] },
  { id: '1d', label: 'the 150-shift schedule as the integration guide would serve it (cacheUtils.get, res.json)', server: 'guide', script: 'get', args: (s) => [s.schedulePath, ...s.cookies.guide] },
  { id: '2', label: 'app: GET /api/users/:id, cached', server: 'app', script: 'get', args: (s) => [s.userPath, ...s.cookies.app] },
  { id: '3c', label: 'app: GET /api/schedules/:id (150 shifts), cached', server: 'app', script: 'get', args: (s) => [s.schedulePath, ...s.cookies.app] },
  { id: '3w', label: 'app: GET /api/schedules/:id/warnings (the 150-shift week), cached', server: 'app', script: 'get', args: (s) => [`${s.schedulePath}/warnings`, ...s.cookies.app] },
  { id: '3d', label: 'app: GET /api/schedules/:id (150 shifts), CACHE_DISABLED', server: 'nocache', script: 'get', args: (s) => [s.schedulePath, ...s.cookies.app] },
  { id: '4', label: 'app: mixed 90 % reads / 10 % writes', server: 'app', script: 'mixed', args: () => [MIXED_DATA] },
];

function writeMixedData(stack: Stack): void {
  const list = (xs: number[]) => `{${xs.join(',')}}`;
  const lua = [
    `cookies = {${stack.cookies.app.map((c) => JSON.stringify(c)).join(',')}}`,
    `users = ${list(stack.seeded.userIds)}`,
    `schedules = ${list(stack.seeded.scheduleIds)}`,
    `shifts = {${stack.seeded.shifts.map(([s, id]) => `{${s},${id}}`).join(',')}}`,
    `crew = ${list(stack.seeded.crewIds)}`,
  ].join('\n');
  writeFileSync(MIXED_DATA, `${lua}\n`);
}

function runScenario(stack: Stack, s: Scenario, seconds: number): Promise<WrkResult> {
  return wrk({
    url: stack.servers[s.server]!.url,
    script: `bench/wrk/${s.script}.lua`,
    args: s.args(stack),
    seconds,
    connections: opts.connections,
    serverPid: stack.servers[s.server]!.proc.child.pid,
  });
}

// ---- scenario 6: Redis commands per request, memory per session ----------------------------------

interface CommandStats {
  requests: number;
  /** Commands the server sent (EVALSHA counts once; what a script runs inside Redis does not). */
  perRequest: number;
  byCommand: Record<string, number>;
  /** Commands run inside Lua scripts, for information. */
  insideScripts: Record<string, number>;
}

/**
 * Counts the commands Redis receives while `requests` cached GETs are served, with MONITOR
 * (INFO commandstats would also count what Lua scripts run inside Redis, and other clients).
 */
async function commandsPerRequest(stack: Stack, url: string, path: string, cookies: string[], requests = 2000): Promise<CommandStats> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 10 });
  // Warm: the entry is cached and every connection is open before counting starts.
  for (let i = 0; i < 20; i++) await request(`${url}${path}`, { agent, headers: { cookie: cookies[i % cookies.length]! } });
  const byCommand: Record<string, number> = {};
  const insideScripts: Record<string, number> = {};
  const monitor = await stack.redisClient.monitor();
  let counting = true;
  monitor.on('monitor', (_time: string, args: string[], source: string) => {
    if (!counting) return;
    const name = String(args[0]).toLowerCase();
    const into = source === 'lua' ? insideScripts : byCommand;
    into[name] = (into[name] ?? 0) + 1;
  });
  await sleep(200);
  let next = 0;
  const worker = async () => {
    while (next < requests) {
      const i = next++;
      const res = await request(`${url}${path}`, { agent, headers: { cookie: cookies[i % cookies.length]! } });
      if (res.status !== 200) throw new Error(`commands: ${path} answered ${res.status}`);
    }
  };
  await Promise.all(Array.from({ length: 10 }, worker));
  await sleep(200);
  counting = false;
  monitor.disconnect();
  agent.destroy();
  const total = Object.values(byCommand).reduce((a, b) => a + b, 0);
  return { requests, perRequest: total / requests, byCommand, insideScripts };
}

interface SessionMemory {
  appSessionBytes: number;
  appIndexBytesPerSession: number;
  guideSessionBytes: number;
  userEntryBytes: number;
  scheduleEntryBytes: number;
}

async function sessionMemory(stack: Stack): Promise<SessionMemory> {
  const r = stack.redisClient;
  const sid = (cookie: string) => /^s:([^.]+)\./.exec(decodeURIComponent(cookie.split('=')[1]!))![1]!;
  const usage = async (key: string) => Number((await r.call('MEMORY', 'USAGE', key, 'SAMPLES', '0')) ?? 0);
  const app = await Promise.all(stack.cookies.app.map((c) => usage(`${BENCH_PREFIX}sess:${sid(c)}`)));
  const guide = await Promise.all(stack.cookies.guide.map((c) => usage(`${BENCH_PREFIX}guide:sess:${sid(c)}`)));
  // Each user's session ids are indexed in a sorted set: its size shared by the sessions in it.
  let indexBytes = 0;
  let indexed = 0;
  let cursor = '0';
  do {
    const [nextCursor, keys] = await r.scan(cursor, 'MATCH', `${BENCH_PREFIX}usersess:*`, 'COUNT', 500);
    cursor = nextCursor;
    for (const key of keys) {
      indexBytes += await usage(key);
      indexed += await r.zcard(key);
    }
  } while (cursor !== '0');
  return {
    appSessionBytes: median(app),
    appIndexBytesPerSession: indexed ? indexBytes / indexed : 0,
    guideSessionBytes: median(guide),
    userEntryBytes: await usage(`${BENCH_PREFIX}user:${stack.seeded.profileUserId}`),
    scheduleEntryBytes: await usage(`${BENCH_PREFIX}schedule:${stack.seeded.bigScheduleId}`),
  };
}

// ---- scenario 7: soak -----------------------------------------------------------------------------

interface SoakSample {
  t: number;
  rssMB: number;
  heapUsedMB: number;
  lagP50ms: number;
  lagP99ms: number;
  lagMaxms: number;
}

interface SoakResult {
  seconds: number;
  samples: SoakSample[];
  wrk: WrkResult;
  rssGrowth: number;
}

async function soak(stack: Stack, seconds: number): Promise<SoakResult> {
  const app = stack.servers.app!;
  log(`soak: ${Math.min(20, seconds)} s warm-up of scenario 4`);
  await runScenario(stack, SCENARIOS.find((s) => s.id === '4')!, Math.min(20, seconds));
  const sample = async (t: number): Promise<SoakSample> => {
    const m = await scrape(app.url, METRICS_TOKEN);
    return {
      t,
      rssMB: metric(m, 'process_resident_memory_bytes') / 2 ** 20,
      heapUsedMB: metric(m, 'nodejs_heap_size_used_bytes') / 2 ** 20,
      lagP50ms: metric(m, 'nodejs_eventloop_lag_p50_seconds') * 1000,
      lagP99ms: metric(m, 'nodejs_eventloop_lag_p99_seconds') * 1000,
      lagMaxms: metric(m, 'nodejs_eventloop_lag_max_seconds') * 1000,
    };
  };
  await sample(0); // resets the event-loop histogram: the first window starts with the load
  const started = Date.now();
  const load = runScenario(stack, SCENARIOS.find((s) => s.id === '4')!, seconds);
  const samples: SoakSample[] = [];
  const every = seconds >= 120 ? 10_000 : 5_000;
  for (let next = every; next <= seconds * 1000 - 1000; next += every) {
    await sleep(Math.max(0, started + next - Date.now()));
    const s = await sample(Math.round((Date.now() - started) / 1000));
    samples.push(s);
    log(`soak t=${s.t}s rss=${s.rssMB.toFixed(1)} MB heap=${s.heapUsedMB.toFixed(1)} MB loop p99=${s.lagP99ms.toFixed(1)} ms`);
  }
  const result = await load;
  const first = samples[0]!;
  const last = samples.at(-1)!;
  return { seconds, samples, wrk: result, rssGrowth: (last.rssMB - first.rssMB) / first.rssMB };
}

// ---- report ---------------------------------------------------------------------------------------

interface Report {
  when: string;
  options: typeof opts;
  machine: Record<string, string>;
  loadavgEnd?: string;
  bodies: { userBytes: number; scheduleBytes: number };
  rounds: Array<Record<string, WrkResult>>;
  stampede?: StampedeResult[];
  commands?: Record<string, CommandStats>;
  memory?: SessionMemory;
  soak?: SoakResult;
  logs?: LogSummary;
  /** Measurements thrown away because sessions had been deleted meanwhile (finding 4). */
  invalid?: Array<{ round: number; scenario: string; result: WrkResult; sessionsRenewed: number }>;
}

function summarise(r: Report): string {
  const out: string[] = [];
  const m = r.machine;
  out.push(`# Benchmark run ${r.when}`, '');
  out.push(`Machine: ${m.cpu}, ${m.memory}, ${m.kernel}; load average ${m.loadavg} at start, ${r.loadavgEnd ?? '?'} at end.`);
  out.push(`Node ${m.node}, Express ${m.express}, Redis ${m.redis}, ${m.postgres}, ${m.wrk}; commit ${m.commit}.`);
  out.push(
    `Server pinned to core ${SERVER_CORE}, wrk (1 thread, ${r.options.connections} connections) and the private Redis to core ${LOAD_CORE}${hasTaskset() ? '' : ' (taskset unavailable: NOT pinned)'}` +
      (r.options.soak ? '.' : `; ${r.options.rounds} rounds × (${r.options.warmup} s warm-up + ${r.options.seconds} s measured) per scenario, order rotated each round.`) +
      (r.options.idleStreams > 0 ? ` ${r.options.idleStreams} idle event streams open on the app instance throughout.` : ''),
  );
  out.push(`Bodies: user ${r.bodies.userBytes} B, schedule ${r.bodies.scheduleBytes} B.`, '');

  const ids = Object.keys(r.rounds[0] ?? {});
  if (ids.length > 0) {
    const col = (id: string) => r.rounds.map((round) => round[id]).filter((x): x is WrkResult => x !== undefined);
    const ratioPerRound = (a: string, b: string, f: (w: WrkResult) => number) =>
      median(r.rounds.filter((round) => round[a] && round[b]).map((round) => f(round[a]!) / f(round[b]!)));
    const rps = (w: WrkResult) => w.rps;
    const cpuRps = (w: WrkResult) => w.cpuRps ?? Number.NaN;
    const rows = SCENARIOS.filter((s) => ids.includes(s.id)).map((s) => {
      const c = col(s.id);
      const errors = c.reduce((n, w) => n + errorCount(w), 0);
      const requests = c.reduce((n, w) => n + w.requests, 0);
      return [
        s.id,
        s.label,
        fmt.rps(median(c.map(cpuRps))),
        ids.includes('1') ? fmt.ratio(ratioPerRound(s.id, '1', cpuRps)) : '–',
        fmt.rps(median(c.map(rps))),
        ids.includes('1') ? fmt.ratio(ratioPerRound(s.id, '1', rps)) : '–',
        fmt.ms(median(c.map((w) => w.latency.p50))),
        fmt.ms(median(c.map((w) => w.latency.p99))),
        `${(median(c.map((w) => (w.serverCpu ?? 0) / (w.duration_us / 1e6))) * 100).toFixed(0)} % / ${(median(c.map((w) => w.stolen ?? 0)) * 100).toFixed(0)} %`,
        `${errors} / ${requests.toLocaleString('en-US')}`,
      ];
    });
    out.push('## Throughput (medians over rounds; ratios are medians of per-round ratios)', '');
    out.push(
      'Requests per server CPU-second (requests ÷ CPU time the server process used, all threads) is the primary figure: on a shared, busy machine it removes what other processes took from the server\'s core. Wall-clock rps is what wrk saw. "CPU / waited" is the server\'s CPU use and its main thread\'s run-queue wait, as shares of the run.',
      '',
    );
    out.push(table(['#', 'scenario', 'rps per CPU-s', '× 1', 'rps (wall)', '× 1 (wall)', 'p50', 'p99', 'CPU / waited', 'errors / requests'], rows), '');

    const checks: string[][] = [];
    const both = (a: string, b: string) => `${ratioPerRound(a, b, cpuRps).toFixed(2)} (wall ${ratioPerRound(a, b, rps).toFixed(2)})`;
    const check = (what: string, v: number, shown: string, target: string, ok: boolean | 'info') =>
      checks.push([what, Number.isFinite(v) ? shown : '–', target, ok === 'info' ? 'info' : Number.isFinite(v) ? (ok ? 'met' : '**missed**') : '–']);
    // The targets of issue 17 (a cached, authenticated GET at the limit).
    if (ids.includes('2') && ids.includes('1b')) {
      const v = ratioPerRound('2', '1b', cpuRps);
      check('scenario 2 ÷ 1b (throughput)', v, both('2', '1b'), '≥ 1.00', v >= 1.0);
      const p = ratioPerRound('2', '1b', (w) => w.latency.p99);
      check('scenario 2 p99 ÷ 1b p99', p, p.toFixed(2), '≤ 1.50', p <= 1.5);
    }
    if (ids.includes('2') && ids.includes('1c')) {
      const v = ratioPerRound('2', '1c', cpuRps);
      check('scenario 2 ÷ 1c (throughput)', v, both('2', '1c'), '≥ 1.50', v >= 1.5);
    }
    if (ids.includes('3c') && ids.includes('1d')) {
      const v = ratioPerRound('3c', '1d', cpuRps);
      check('scenario 3c ÷ 1d (the cached schedule against the guide\'s)', v, both('3c', '1d'), '≥ 2.50', v >= 2.5);
    }
    if (ids.includes('1b') && ids.includes('1')) check('1b ÷ 1 (the stack\'s ceiling)', 1, both('1b', '1'), 'probe: 0.40–0.55', 'info');
    if (ids.includes('1c') && ids.includes('1')) check('1c ÷ 1 (the guide\'s way)', 1, both('1c', '1'), 'probe: ≈ 0.42', 'info');
    if (ids.includes('3c') && ids.includes('3d')) {
      const v = ratioPerRound('3c', '3d', cpuRps);
      check('scenario 3 cached ÷ disabled (throughput)', v, both('3c', '3d'), '≥ 5', v >= 5);
    }
    if (ids.includes('3w') && ids.includes('3c')) {
      // A cached warnings read costs an access check through the cached schedule's head, then its own entry.
      const v = ratioPerRound('3c', '3w', cpuRps);
      check('cost of a cached warnings read ÷ a cached schedule read (3c ÷ 3w throughput)', v, both('3c', '3w'), '≤ 1.20', v <= 1.2);
    }
    if (r.commands?.['2']) check('Redis commands per cached GET /api/users/:id', r.commands['2'].perRequest, r.commands['2'].perRequest.toFixed(2), '≤ 2', r.commands['2'].perRequest <= 2.05);
    if (r.memory) {
      const bytes = r.memory.appSessionBytes + r.memory.appIndexBytesPerSession;
      check('Redis bytes per session (hash + index share)', bytes, bytes.toFixed(0), '< 1024', bytes < 1024);
    }
    out.push('## Targets', '', table(['check', 'value', 'target', 'result'], checks), '');

    if (ids.includes('4')) {
      const statuses: Record<string, number> = {};
      for (const w of col('4')) for (const [k, n] of Object.entries(w.statuses)) statuses[k] = (statuses[k] ?? 0) + n;
      out.push(`Scenario 4 statuses over all rounds: ${JSON.stringify(statuses)}`, '');
    }
  }
  if (r.stampede) {
    out.push('## Scenario 5: stampede (1,000 concurrent GETs of one cold schedule key)', '');
    out.push(
      table(
        ['instances', 'requests', 'Postgres loads', 'statuses', 'distinct 200 bodies', 'stale 200s', 'slowest', 'all answered in', 'sessions lost (of 8)'],
        r.stampede.map((s) => [String(s.instances), String(s.requests), String(s.loads), JSON.stringify(s.statuses), String(s.distinctBodies), String(s.staleAnswers), `${s.maxMs.toFixed(0)} ms`, `${s.wallMs.toFixed(0)} ms`, String(s.sessionsLost)]),
      ),
      '',
    );
  }
  if (r.commands || r.memory) {
    out.push('## Scenario 6: Redis commands per request, memory per session', '');
    for (const [id, c] of Object.entries(r.commands ?? {})) {
      out.push(`- scenario ${id}: ${c.perRequest.toFixed(3)} commands per request (${c.requests} requests): ${JSON.stringify(c.byCommand)}; inside scripts: ${JSON.stringify(c.insideScripts)}`);
    }
    if (r.memory) {
      const mem = r.memory;
      out.push(
        `- app session: ${mem.appSessionBytes} B (hash) + ${mem.appIndexBytesPerSession.toFixed(0)} B (share of the user's session index); guide (connect-redis) session: ${mem.guideSessionBytes} B`,
        `- cache entries: user ${mem.userEntryBytes} B, 150-shift schedule ${mem.scheduleEntryBytes} B`,
      );
    }
    out.push('');
  }
  if (r.soak) {
    const s = r.soak;
    const errors = soakErrors(s);
    out.push('## Targets (soak)', '', table(['check', 'value', 'target', 'result'], [
      ['RSS growth, start → end', fmt.pct(s.rssGrowth), '< 10 %', s.rssGrowth < 0.1 ? 'met' : '**missed**'],
      ['errors (non-2xx, socket errors, timeouts)', String(errors), '0', errors === 0 ? 'met' : '**missed**'],
    ]), '');
    const first = s.samples[0]!;
    const last = s.samples.at(-1)!;
    out.push(`## Scenario 7: soak (${s.seconds} s of scenario 4)`, '');
    out.push(
      table(
        ['', 'RSS', 'heap used', 'event-loop delay p50', 'p99', 'max'],
        [
          [`start (t=${first.t} s)`, `${first.rssMB.toFixed(1)} MB`, `${first.heapUsedMB.toFixed(1)} MB`, `${first.lagP50ms.toFixed(1)} ms`, `${first.lagP99ms.toFixed(1)} ms`, `${first.lagMaxms.toFixed(1)} ms`],
          [`end (t=${last.t} s)`, `${last.rssMB.toFixed(1)} MB`, `${last.heapUsedMB.toFixed(1)} MB`, `${last.lagP50ms.toFixed(1)} ms`, `${last.lagP99ms.toFixed(1)} ms`, `${last.lagMaxms.toFixed(1)} ms`],
        ],
      ),
      '',
      `RSS growth ${fmt.pct(s.rssGrowth)} (max ${max(s.samples.map((x) => x.rssMB)).toFixed(1)} MB); ${fmt.rps(s.wrk.rps)} rps, p50 ${fmt.ms(s.wrk.latency.p50)}, p99 ${fmt.ms(s.wrk.latency.p99)}; statuses ${JSON.stringify(s.wrk.statuses)}; socket errors ${JSON.stringify(s.wrk.errors)}.`,
      '',
    );
  }
  if (r.invalid?.length) {
    out.push(`Measurements repeated because sessions had been deleted under load (finding 4): ${r.invalid.map((x) => `round ${x.round} scenario ${x.scenario} (${errorCount(x.result)} errors, ${x.sessionsRenewed} sessions renewed)`).join('; ')}.`, '');
  }
  if (r.logs) {
    out.push(`Server logs: ${Object.entries(r.logs).map(([k, v]) => `${k} ${v.error} error / ${v.warn} warn`).join(', ')}.`);
    for (const [k, v] of Object.entries(r.logs)) for (const [msg, n] of Object.entries(v.messages ?? {})) out.push(`- ${k}: ${n} × "${msg}"`);
    for (const [k, v] of Object.entries(r.logs)) for (const e of v.firstErrors) out.push(`  ${k}: ${e}`);
  }
  return out.join('\n');
}

/** 5xx, timeouts and socket errors (a 4xx in the mix would be a bench bug, and shows in statuses). */
function soakErrors(s: SoakResult): number {
  const e = s.wrk.errors;
  const bad = Object.entries(s.wrk.statuses).filter(([k]) => !k.startsWith('2')).reduce((n, [, v]) => n + v, 0);
  return bad + e.connect + e.read + e.write + e.timeout;
}

// ---- main -----------------------------------------------------------------------------------------

let stack: Stack | undefined;

async function main(): Promise<void> {
  checkWrk();
  onExit(async () => {
    await stack?.close({ keepDatabase: opts.keepDb }).catch(() => {});
    await stopAll();
  });
  const when = new Date().toISOString();
  let idle: { close(): void } | undefined;
  if (opts.build) {
    log('compiling server/ and shared/ (tsconfig.build.json) for this run');
    buildServer();
  }
  const report: Report = { when, options: opts, machine: machine(), bodies: { userBytes: 0, scheduleBytes: 0 }, rounds: [] };
  const selected = SCENARIOS.filter((s) => !opts.only || opts.only.includes(s.id) || (opts.only.includes('3') && s.id.startsWith('3')));
  stack = await startStack({
    apps: opts.soak ? ['app'] : ['app', 'app2', 'nocache'],
    baselines: opts.soak ? [] : (['bare', 'memory', 'guide'] as const).filter((b) => selected.some((s) => s.server === b)),
    log,
  });
  writeMixedData(stack);
  const schedule = await request(`${stack.servers.app!.url}${stack.schedulePath}`, { headers: { cookie: stack.cookies.app[0]! } });
  report.bodies = { userBytes: Buffer.byteLength(stack.userJson), scheduleBytes: Buffer.byteLength(schedule.body) };
  log(`user JSON ${report.bodies.userBytes} B, schedule JSON ${report.bodies.scheduleBytes} B`);
  if (opts.idleStreams > 0) {
    log(`open ${opts.idleStreams} idle event streams on the app instance, for the whole run`);
    idle = await openIdleStreams(stack.servers.app!.url, stack.cookies.app, opts.idleStreams);
  }

  if (opts.soak) {
    report.soak = await soak(stack, opts.soakSeconds);
  } else {
    // One longer unmeasured pass first: JIT, pools and caches of every server settle before round 1.
    log(`warm-up pass: ${opts.warmup * 3} s per scenario`);
    for (const s of selected) await runScenario(stack, s, opts.warmup * 3);
    for (let round = 0; round < opts.rounds; round++) {
      const order = selected.map((_, i) => selected[(i + round) % selected.length]!);
      const results: Record<string, WrkResult> = {};
      for (const s of order) {
        await runScenario(stack, s, opts.warmup);
        let w = await runScenario(stack, s, opts.seconds);
        if (errorCount(w) > 0 && s.id !== '4') {
          // A throughput run must not measure cheap 401s: renew lost sessions and measure again.
          const renewed = await stack.renewLostSessions();
          log(`round ${round + 1} ${s.id}: ${errorCount(w)} errors ${JSON.stringify(w.errors)}; ${renewed} session(s) had been deleted and were renewed; measuring again`);
          (report.invalid ??= []).push({ round: round + 1, scenario: s.id, result: w, sessionsRenewed: renewed });
          if (renewed > 0) writeMixedData(stack);
          w = await runScenario(stack, s, opts.seconds);
        } else if (s.id === '4' && errorCount(w) > 0) {
          const renewed = await stack.renewLostSessions();
          if (renewed > 0) {
            log(`round ${round + 1} 4: ${renewed} session(s) had been deleted and were renewed`);
            writeMixedData(stack);
          }
        }
        results[s.id] = w;
        log(`round ${round + 1}/${opts.rounds} ${s.id.padEnd(3)} ${fmt.rps(w.rps).padStart(6)} rps  ${fmt.rps(w.cpuRps ?? Number.NaN).padStart(6)} per CPU-s  waited ${((w.stolen ?? 0) * 100).toFixed(0)} %  p50 ${fmt.ms(w.latency.p50)}  p99 ${fmt.ms(w.latency.p99)}  errors ${errorCount(w)}`);
      }
      report.rounds.push(results);
    }
    if (opts.extra) {
      const app = stack.servers.app!.url;
      const app2 = stack.servers.app2!.url;
      report.stampede = [];
      for (const instances of [[app], [app, app2]]) {
        for (let i = 0; i < opts.stampedes; i++) {
          const s = await stampede(stack, instances, 1000, () => writeMixedData(stack!));
          log(`stampede on ${instances.length} instance(s): ${s.loads} Postgres load(s) for ${s.requests} requests, statuses ${JSON.stringify(s.statuses)}, stale ${s.staleAnswers}, slowest ${s.maxMs.toFixed(0)} ms, sessions lost ${s.sessionsLost}`);
          report.stampede.push(s);
          await sleep(500);
        }
      }
      report.commands = {
        '2': await commandsPerRequest(stack, app, stack.userPath, stack.cookies.app),
        '3c': await commandsPerRequest(stack, app, stack.schedulePath, stack.cookies.app),
      };
      if (stack.servers.guide) report.commands['1c'] = await commandsPerRequest(stack, stack.servers.guide.url, stack.userPath, stack.cookies.guide);
      for (const [id, c] of Object.entries(report.commands)) log(`commands per request, scenario ${id}: ${c.perRequest.toFixed(3)} ${JSON.stringify(c.byCommand)}`);
      report.memory = await sessionMemory(stack);
      log(`memory: ${JSON.stringify(report.memory)}`);
    }
  }

  idle?.close();
  report.logs = await stack.close({ keepDatabase: opts.keepDb });
  stack = undefined;
  report.loadavgEnd = machine().loadavg;
  const stamp = report.when.replace(/[:.]/g, '-');
  writeFileSync(path.join(RESULTS, `run-${stamp}.json`), JSON.stringify(report, null, 1));
  const md = summarise(report);
  writeFileSync(path.join(RESULTS, opts.soak ? 'latest-soak.md' : 'latest.md'), `${md}\n`);
  process.stdout.write(`\n${md}\n`);
  removeWork();
}

main().then(
  () => process.exit(0),
  async (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    await stack?.close({ keepDatabase: opts.keepDb }).catch(() => {});
    await stopAll();
    process.exit(1);
  },
);
