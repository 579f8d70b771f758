/**
 * Live updates under load (issue 11): two app instances on one Redis, each holding N open event
 * streams, and
 *   1. memory per open stream: RSS (and its private part) of each server at rest before and after
 *      opening N streams, and after N more: what the first N cost, one-time costs included, and
 *      what one more stream costs; each reading also after a full collection (asked for through
 *      the inspector: the servers run with --inspect on a loopback port of their own);
 *   2. delivery latency under a steady write load: from a write's answer on one instance to its
 *      event on every stream of the other, p50/p99;
 *   3. a refetch storm: a week watched by every stream (and so cached) changes, every stream
 *      refetches it, and Postgres loads are counted per instance
 *      (`crewplots_cache_loads_total{namespace="schedule"}`);
 *   4. what idle streams cost cached reads: scenario 2 of bench/run.ts (wrk, cached GET of a user)
 *      with N idle streams open and without, in alternating rounds, with the server's garbage
 *      collection in each.
 *
 *   node_modules/.bin/tsx bench/live.ts [--streams 1000] [--rate 5] [--seconds 20] [--storms 3]
 *                                       [--rounds 3] [--wrk-seconds 8] [--no-wrk] [--no-build] [--keep-db]
 * Results: bench/results/latest-live.md and live-<time>.json (git-ignored).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { loadavg } from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import { createLogger } from '../server/logger.js';
import { liveKeys } from '../server/live/live.keys.js';
import { createLiveMetrics } from '../server/live/live.metrics.js';
import { createLivePublisher } from '../server/live/live.publisher.js';
import type { LivePublisher } from '../server/live/live.types.js';
import { buildServer, machine } from './lib/build.js';
import { metric, request, scrape } from './lib/http.js';
import { RESULTS, freePort, onExit, sleep, stopAll } from './lib/proc.js';
import { inspectorCommand } from './lib/inspector.js';
import { BENCH_PREFIX } from './lib/services.js';
import { WEEK } from './lib/seed.js';
import { METRICS_TOKEN, startStack, type Server, type Stack } from './lib/stack.js';
import { fmt, median, table } from './lib/stats.js';
import { checkWrk, errorCount, wrk, type WrkResult } from './lib/wrk.js';
import { flag, value } from './lib/args.js';

const opts = {
  streams: Number(value('streams') ?? 1000),
  rate: Number(value('rate') ?? 5),
  seconds: Number(value('seconds') ?? 20),
  storms: Number(value('storms') ?? 3),
  rounds: Number(value('rounds') ?? 3),
  wrkSeconds: Number(value('wrk-seconds') ?? 8),
  wrk: !flag('no-wrk'),
  build: !flag('no-build'),
  keepDb: flag('keep-db'),
};

const log = (line: string) => process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);

interface GcSpent {
  scavenges: number;
  scavengeS: number;
  marks: number;
  markS: number;
}

/** Garbage collection between two scrapes of the server's metrics (prom-client's `nodejs_gc_duration_seconds`). */
function gcSpent(before: Map<string, number>, after: Map<string, number>): GcSpent {
  const delta = (name: string, kind: string) => metric(after, name, `kind="${kind}"`) - metric(before, name, `kind="${kind}"`);
  return {
    scavenges: delta('nodejs_gc_duration_seconds_count', 'minor'),
    scavengeS: delta('nodejs_gc_duration_seconds_sum', 'minor'),
    marks: delta('nodejs_gc_duration_seconds_count', 'major'),
    markS: delta('nodejs_gc_duration_seconds_sum', 'major') + delta('nodejs_gc_duration_seconds_sum', 'incremental'),
  };
}

interface CacheCounts {
  loads: number;
  refused: number;
  bypassed: number;
  waited: number;
}

/**
 * The schedule namespace's cache counters on one instance: loads, fills refused because the entry
 * was invalidated during the load, reads that went past Redis, and reads that waited `fillWaitMs`
 * for another load's fill in vain (each then loads without storing).
 */
async function scheduleCache(server: Server): Promise<CacheCounts> {
  const samples = await scrape(server.url, METRICS_TOKEN);
  const count = (name: string) => metric(samples, name, 'namespace="schedule"');
  return {
    loads: count('crewplots_cache_loads_total'),
    refused: count('crewplots_cache_stale_fill_rejections_total'),
    bypassed: count('crewplots_cache_bypasses_total'),
    waited: count('crewplots_cache_fill_waits_expired_total'),
  };
}

// ---- event streams --------------------------------------------------------------------------------

interface Arrival {
  scheduleId: number;
  at: number;
}

/** One open `GET /api/events`, counting schedule events as they arrive. */
interface Stream {
  server: Server;
  cookie: string;
  opened: Promise<void>;
  onSchedule?: (a: Arrival) => void;
  closing: boolean;
  close(): void;
  /** Open and not ended by either side. */
  alive(): boolean;
}

/** Tries again after a 503 (a session read that timed out on a saturated server), as a client library would. */
const OPEN_ATTEMPTS = 10;

function openStream(server: Server, cookie: string): Stream {
  let opened: () => void;
  let failed: (err: Error) => void;
  let req: http.ClientRequest;
  const stream: Stream = {
    server,
    cookie,
    opened: new Promise<void>((resolve, reject) => {
      opened = resolve;
      failed = reject;
    }),
    closing: false,
    close: () => {
      stream.closing = true;
      req.destroy();
    },
    alive: () => live && !ended && !stream.closing,
  };
  const attempt = (n: number) => {
    req = http.get(`${server.url}/api/events`, { headers: { cookie, accept: 'text/event-stream' }, agent: false }, (res) => {
      if (res.statusCode === 503 && n < OPEN_ATTEMPTS) {
        res.resume();
        retried += 1;
        setTimeout(() => attempt(n + 1), 500);
        return;
      }
      if (res.statusCode !== 200) return failed(new Error(`GET /api/events answered ${res.statusCode}`));
      listen(res);
    });
    req.on('error', (err) => {
      if (live) return; // an open stream reset by the server: counted when it closes, below
      // Reset by the peer before the stream opened (a saturated server's accept queue, a dropped
      // connection): tried again as a browser's EventSource would, and counted.
      if (isReset(err) && n < OPEN_ATTEMPTS && !stream.closing) {
        openResets += 1;
        setTimeout(() => attempt(n + 1), 500);
        return;
      }
      failed(err);
    });
    // A stream the server drops (a client too slow to read) resets its socket: counted below, not fatal.
    req.on('socket', (socket) => socket.on('error', () => {}));
  };
  let live = false;
  let ended = false;
  const listen = (res: http.IncomingMessage) => {
    res.setEncoding('utf8');
    let buffer = '';
    res.on('data', (chunk: string) => {
      const at = performance.now();
      buffer += chunk;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        // The first frame (retry and id) says the stream is registered and live.
        if (block.startsWith('retry:') || block.startsWith('id:')) {
          live = true;
          opened();
        }
        if (!block.includes('event: schedule\n')) continue;
        const data = block.slice(block.indexOf('data: ') + 6);
        stream.onSchedule?.({ scheduleId: (JSON.parse(data) as { id: number }).id, at });
      }
    });
    res.on('error', (err) => {
      // Our own close aborts the answer too; only a reset the server made counts.
      if (isReset(err) && !stream.closing) streamResets += 1;
    });
    res.on('close', () => {
      ended = true;
      if (!stream.closing) cutStreams += 1;
    });
  };
  attempt(1);
  return stream;
}

/** Stream openings answered 503 and tried again. */
let retried = 0;
/** Stream openings whose connection was reset by the server before the stream opened, tried again. */
let openResets = 0;
/** Open streams whose connection was reset by the server (ECONNRESET), among the cut ones. */
let streamResets = 0;
/** Writes and refetches whose connection was reset by the server: writes are sent again, refetches counted. */
let requestResets = 0;

/** A connection the peer reset or closed mid-answer: ECONNRESET, EPIPE, or Node's "socket hang up". */
const isReset = (err: unknown) => {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ECONNRESET' || code === 'EPIPE' || (err as Error | undefined)?.message === 'socket hang up';
};
/** Streams the server ended (it drops a client that reads too slowly). */
let cutStreams = 0;

/**
 * A process's resident memory in bytes, from /proc: all of it (VmRSS), and the private part
 * (RssAnon): what is left when the file-backed pages, the node binary's code shared by every Node
 * process on the host, are taken out.
 */
interface Resident {
  rss: number;
  anon: number;
}

/** A server's memory at rest, and right after a full collection forced through the inspector. */
interface Reading extends Resident {
  collected: Resident;
}

function resident(pid: number | undefined): Resident {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) * 1024;
  return { rss: kb('VmRSS'), anon: kb('RssAnon') };
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;

// ---- the write that changes a week ----------------------------------------------------------------

/**
 * The write path announces its changes itself once it publishes (issue 11, item 1); until then
 * the benchmark publishes the change right after the write's answer, as the write path will
 * before it. Which one applies is found out once, at the start (`detectPublisher`).
 */
let benchPublisher: LivePublisher | undefined;

/**
 * The PATCH, sent again after a 503 or a connection reset. A reset write may have gone through;
 * the notes it sets are the same either way, and the stream counts its events by schedule, so a
 * resent write that had landed shows up as one more event, not a lost one.
 */
async function patchOnce(stack: Stack, server: Server, scheduleId: number, shiftId: number, notes: string) {
  try {
    return await patchShift(stack, server, scheduleId, shiftId, notes);
  } catch (err) {
    if (!isReset(err)) throw err;
    requestResets += 1;
    return { status: 503, headers: {}, body: 'connection reset', ms: 0 };
  }
}

async function write(stack: Stack, server: Server, scheduleId: number, shiftId: number, notes: string): Promise<number> {
  let res = await patchOnce(stack, server, scheduleId, shiftId, notes);
  // A saturated server answers 503 when a session read times out (bench/README.md, finding 5): send it again, as a client would.
  for (let attempt = 1; res.status === 503 && attempt < OPEN_ATTEMPTS; attempt++) {
    writeRetries += 1;
    await sleep(300);
    res = await patchOnce(stack, server, scheduleId, shiftId, notes);
  }
  const answered = performance.now();
  if (res.status !== 200) throw new Error(`PATCH shift answered ${res.status}: ${res.body.slice(0, 200)}`);
  if (benchPublisher) {
    const locationId = scheduleLocations.get(scheduleId)!;
    await benchPublisher.publish([
      { kind: 'schedule', schedule: { id: scheduleId, locationId, weekStart: WEEK, status: 'published', version: 0 }, previousStatus: 'published' },
    ]);
  }
  return answered;
}

const scheduleLocations = new Map<number, number>();
let writeRetries = 0;

const patchShift = (stack: Stack, server: Server, scheduleId: number, shiftId: number, notes: string) =>
  request(`${server.url}/api/schedules/${scheduleId}/shifts/${shiftId}`, { method: 'PATCH', headers: { cookie: stack.cookies.app[0]! }, body: { notes } });

/**
 * Resident memory of a server at rest. After a burst of allocation V8 keeps the pages it grew into
 * until a full collection, which its memory reducer starts some tens of seconds after the
 * allocation rate falls, gives them back: an instance measured every 2 s after opening 1,000
 * streams read +19.8 KB per stream for 12 s, +24.5 for the next 20, then −5 once the reducer ran;
 * and two runs that waited for a steady RSS alone measured 13 KB and 45 KB for the same streams,
 * depending on which side of a reduction each reading fell. So each side is read at least
 * SETTLE_MS after the last burst, after at least one full collection since then
 * (`nodejs_gc_duration_seconds_count{kind="major"}`), and once RSS has held within 1 % for 10 s;
 * the median of the last five samples.
 */
async function settled(server: Server, inspectPort: number): Promise<Reading> {
  const fullCollections = async () => metric(await scrape(server.url, METRICS_TOKEN), 'nodejs_gc_duration_seconds_count', 'kind="major"');
  const since = await fullCollections();
  const samples: Resident[] = [];
  const started = Date.now();
  for (;;) {
    samples.push(resident(server.proc.child.pid));
    const last = samples.slice(-5).map((r) => r.rss);
    const steady = last.length === 5 && Math.max(...last) - Math.min(...last) <= 0.01 * Math.min(...last);
    const ready = Date.now() - started >= SETTLE_MS && steady && (await fullCollections()) > since;
    if (ready || Date.now() - started >= 4 * SETTLE_MS) {
      const five = samples.slice(-5);
      const atRest = { rss: median(five.map((r) => r.rss)), anon: median(five.map((r) => r.anon)) };
      // Then a full collection asked for through the inspector, and a moment for V8 to hand the
      // pages it freed back.
      await inspectorCommand(inspectPort, 'HeapProfiler.collectGarbage');
      await sleep(2_000);
      return { ...atRest, collected: resident(server.proc.child.pid) };
    }
    await sleep(2_000);
  }
}

const SETTLE_MS = 45_000;

async function detectPublisher(stack: Stack, probe: Stream): Promise<'server' | 'benchmark'> {
  const [scheduleId, shiftId] = stack.seeded.shifts[0]!;
  let seen = false;
  probe.onSchedule = (a) => {
    if (a.scheduleId === scheduleId) seen = true;
  };
  await write(stack, stack.servers.app!, scheduleId, shiftId, 'probe');
  for (let i = 0; i < 30 && !seen; i++) await sleep(100);
  probe.onSchedule = undefined;
  return seen ? 'server' : 'benchmark';
}

// ---- main -----------------------------------------------------------------------------------------

async function main(): Promise<void> {
  if (opts.wrk) checkWrk();
  if (opts.build) {
    log('compile server/ and shared/');
    buildServer();
  }
  // Each instance listens for the DevTools protocol on a port of its own, so the memory step can
  // ask it for a full collection before reading its memory.
  const inspectPorts = { app: await freePort(), app2: await freePort() };
  const stack = await startStack({
    apps: ['app', 'app2'],
    baselines: [],
    nodeArgs: { app: [`--inspect=127.0.0.1:${inspectPorts.app}`], app2: [`--inspect=127.0.0.1:${inspectPorts.app2}`] },
    log,
  });
  onExit(async () => {
    await stack.close({ keepDatabase: opts.keepDb });
    await stopAll();
  });
  const servers = [stack.servers.app!, stack.servers.app2!];
  const results: Record<string, unknown> = { machine: machine(), opts };

  // Which location each schedule belongs to, for the change the benchmark publishes.
  for (const id of stack.seeded.scheduleIds) {
    const res = await request(`${servers[0]!.url}/api/schedules/${id}`, { headers: { cookie: stack.cookies.app[0]! } });
    scheduleLocations.set(id, (JSON.parse(res.body) as { locationId: number }).locationId);
  }

  const probe = openStream(servers[1]!, stack.cookies.app[0]!);
  await probe.opened;
  const mode = await detectPublisher(stack, probe);
  probe.close();
  if (mode === 'benchmark') {
    const redis = stack.redis.client();
    const silent = createLogger({ logLevel: 'silent', env: 'production' });
    benchPublisher = createLivePublisher(redis, liveKeys(BENCH_PREFIX), silent, createLiveMetrics(new Registry()));
  }
  log(`changes are published by the ${mode === 'server' ? 'server (write path)' : 'benchmark, after each write answers'}`);
  results.publisher = mode;

  // 1. memory per stream: the first N on each instance, then N more (closed again once measured)
  const openOnEach = async (): Promise<Stream[]> => {
    const opened: Stream[] = [];
    for (const server of servers) {
      for (let i = 0; i < opts.streams; i++) {
        opened.push(openStream(server, stack.cookies.app[i % stack.cookies.app.length]!));
        // A few at a time, as browsers arrive.
        if (i % 100 === 99) await Promise.all(opened.slice(-100).map((s) => s.opened));
      }
    }
    await Promise.all(opened.map((s) => s.opened));
    return opened;
  };
  const atRest = () => Promise.all(servers.map((s) => settled(s, inspectPorts[s.name as 'app' | 'app2'])));
  const perStream = (from: Reading[], to: Reading[], streams = opts.streams) =>
    servers.map((_, i) => ({
      rss: (to[i]!.rss - from[i]!.rss) / streams,
      anon: (to[i]!.anon - from[i]!.anon) / streams,
      collected: (to[i]!.collected.anon - from[i]!.collected.anon) / streams,
      collectedRss: (to[i]!.collected.rss - from[i]!.collected.rss) / streams,
    }));
  const before = await atRest();
  log(`open ${opts.streams} streams on each instance (${stack.cookies.app.length} sessions)`);
  const streams = await openOnEach();
  const after = await atRest();
  log(`open ${opts.streams} more on each instance`);
  const more = await openOnEach();
  const afterMore = await atRest();
  for (const s of more) s.close();
  // A thousand streams' worth of memory is of the order of what V8 and malloc keep or hand back
  // on their own between two readings; all 2N streams together are the steadier figure.
  const memory = { first: perStream(before, after), next: perStream(after, afterMore), all: perStream(before, afterMore, 2 * opts.streams) };
  const memoryLoad = loadavg()[0]!;
  results.memory = { before, after, afterMore, ...memory, load: memoryLoad };
  if (retried > 0) log(`${retried} stream openings were answered 503 (session read timed out) and tried again`);
  results.openRetries = retried;
  const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
  const shown = (m: { rss: number; anon: number; collected: number; collectedRss: number }) =>
    `${kb(m.rss)} (private ${kb(m.anon)}; after a full collection ${kb(m.collectedRss)}, private ${kb(m.collected)})`;
  log(`RSS per open stream, the first ${opts.streams}: ${memory.first.map(shown).join(', ')}; the next ${opts.streams}: ${memory.next.map(shown).join(', ')}; all ${2 * opts.streams}: ${memory.all.map(shown).join(', ')}`);
  const gauges = await Promise.all(servers.map(async (s) => metric(await scrape(s.url, METRICS_TOKEN), 'crewplots_live_streams')));
  log(`crewplots_live_streams: ${gauges.join(', ')}`);

  // 2. delivery latency under a steady write load, from the write's answer to the other instance's streams
  const writes = new Map<number, number[]>();
  const seen = new Map<Stream, Map<number, number>>();
  const latencies: number[] = [];
  let missing = 0;
  for (const s of streams) {
    const counts = new Map<number, number>();
    seen.set(s, counts);
    s.onSchedule = (a) => {
      const k = counts.get(a.scheduleId) ?? 0;
      counts.set(a.scheduleId, k + 1);
      const answered = writes.get(a.scheduleId)?.[k];
      if (answered !== undefined && s.server !== lastWriter.get(a.scheduleId)?.[k]) latencies.push(a.at - answered);
    };
  }
  const lastWriter = new Map<number, Server[]>();
  const small = stack.seeded.shifts.filter(([sid]) => sid !== stack.seeded.bigScheduleId);
  const bySchedule = new Map<number, number>();
  for (const [sid, shid] of small) if (!bySchedule.has(sid)) bySchedule.set(sid, shid);
  const targets = [...bySchedule];
  const total = opts.rate * opts.seconds;
  log(`write load: ${opts.rate} shift edits/s for ${opts.seconds} s over ${targets.length} schedules, alternating instances`);
  const started = performance.now();
  const inFlight: Promise<void>[] = [];
  // One write per schedule at a time, so the k-th event of a schedule answers its k-th write.
  const busy = new Map<number, Promise<void>>();
  for (let n = 0; n < total; n++) {
    const due = started + (n * 1000) / opts.rate;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    const [scheduleId, shiftId] = targets[n % targets.length]!;
    const server = servers[n % 2]!;
    const previous = busy.get(scheduleId) ?? Promise.resolve();
    const job = previous.then(async () => {
      const k = writes.get(scheduleId)?.length ?? 0;
      const writers = lastWriter.get(scheduleId) ?? [];
      writers[k] = server;
      lastWriter.set(scheduleId, writers);
      const answered = await write(stack, server, scheduleId, shiftId, `edit ${n}`);
      const list = writes.get(scheduleId) ?? [];
      list[k] = answered;
      writes.set(scheduleId, list);
    });
    busy.set(scheduleId, job);
    inFlight.push(job);
  }
  await Promise.all(inFlight);
  await sleep(2_000);
  for (const s of streams) {
    for (const [scheduleId, list] of writes) missing += Math.max(0, list.length - (seen.get(s)!.get(scheduleId) ?? 0));
  }
  for (const s of streams) s.onSchedule = undefined;
  latencies.sort((x, y) => x - y);
  const delivery = {
    writes: total,
    deliveries: latencies.length,
    missing,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies.at(-1) ?? NaN,
    load: loadavg()[0]!,
  };
  results.delivery = delivery;
  results.writeRetries = writeRetries;
  if (writeRetries > 0) log(`${writeRetries} writes were answered 503 (session read timed out) and sent again`);
  results.cutStreams = cutStreams;
  results.resets = { streams: streamResets, openings: openResets, requests: requestResets };
  if (cutStreams > 0) log(`${cutStreams} streams were ended by the server (dropped as too slow to read)`);
  log(`delivery to the other instance: p50 ${delivery.p50.toFixed(1)} ms, p99 ${delivery.p99.toFixed(1)} ms, max ${delivery.max.toFixed(1)} ms over ${delivery.deliveries} deliveries; ${missing} missing`);

  // 3. refetch storm: every stream refetches the week it was told changed
  const big = stack.seeded.bigScheduleId;
  const bigShift = stack.seeded.shifts.find(([sid]) => sid === big)![1];
  const agents = new Map(servers.map((s) => [s, new http.Agent({ keepAlive: true, maxSockets: 64 })]));
  const storms: Array<{ loads: number[]; refused: number[]; bypassed: number[]; waited: number[]; answers: number; non200: number; stale: number; resets: number; ms: number; load: number }> = [];
  for (let k = 0; k < opts.storms; k++) {
    const notes = `storm ${k} ${Date.now()}`;
    // The week is on every watcher's screen, so each instance has it cached. Left to expire (the
    // memory phase outlasts its TTL), the write's own access check would load it on the writing
    // instance before the change, and count as a second load of the storm.
    for (const s of servers) {
      const res = await request(`${s.url}/api/schedules/${big}`, { headers: { cookie: stack.cookies.app[0]! }, agent: agents.get(s) });
      if (res.status !== 200) throw new Error(`GET /api/schedules/${big} answered ${res.status}`);
    }
    const before = await Promise.all(servers.map((s) => scheduleCache(s)));
    let answers = 0;
    let non200 = 0;
    let stale = 0;
    let resets = 0;
    // Streams the server has cut meanwhile hear nothing more: only the live ones are waited for.
    const watching = streams.filter((s) => s.alive()).length;
    const refetches: Promise<void>[] = [];
    const allDone = new Promise<void>((resolve) => {
      for (const s of streams) {
        s.onSchedule = (a) => {
          if (a.scheduleId !== big) return;
          s.onSchedule = undefined;
          refetches.push(
            request(`${s.server.url}/api/schedules/${big}`, { headers: { cookie: s.cookie }, agent: agents.get(s.server) }).then(
              (res) => {
                answers++;
                if (res.status !== 200) non200++;
                else if (!res.body.includes(notes)) stale++;
                if (answers === watching) resolve();
              },
              (err: unknown) => {
                // Handled here, at once: a reset left for allSettled below would be an unhandled rejection first.
                if (!isReset(err)) throw err;
                answers++;
                resets++;
                requestResets += 1;
                if (answers === watching) resolve();
              },
            ),
          );
        };
      }
    });
    const t0 = performance.now();
    await write(stack, servers[k % 2]!, big, bigShift, notes);
    await Promise.race([allDone, sleep(60_000)]);
    await Promise.allSettled(refetches);
    const ms = performance.now() - t0;
    const after = await Promise.all(servers.map((s) => scheduleCache(s)));
    const delta = (field: keyof CacheCounts) => after.map((a, i) => a[field] - before[i]![field]);
    const loads = delta('loads');
    const refused = delta('refused');
    const bypassed = delta('bypassed');
    const waited = delta('waited');
    storms.push({ loads, refused, bypassed, waited, answers, non200, stale, resets, ms, load: loadavg()[0]! });
    log(
      `storm ${k + 1}: ${answers} refetches in ${ms.toFixed(0)} ms, Postgres loads per instance ${loads.join(', ')} ` +
        `(fills refused as stale ${refused.join(', ')}; reads past Redis ${bypassed.join(', ')}; waits for a fill that ran out ${waited.join(', ')}), ${non200} non-200, ${stale} stale, ${resets} reset (load ${loadavg()[0]!.toFixed(1)})`,
    );
    await sleep(1_000);
  }
  for (const agent of agents.values()) agent.destroy();
  results.storms = storms;

  // 4. cached reads with idle streams open and without (same instance, alternating rounds)
  let overhead: { withStreams: WrkResult[]; without: WrkResult[]; ratios: number[]; loads: number[]; gc: Array<{ which: string } & GcSpent> } | undefined;
  if (opts.wrk) {
    overhead = { withStreams: [], without: [], ratios: [], loads: [], gc: [] };
    const target = servers[0]!;
    const mine = streams.filter((s) => s.server === target);
    const others = streams.filter((s) => s.server !== target);
    for (const s of others) s.close();
    const measure = () =>
      wrk({ url: target.url, script: 'bench/wrk/get.lua', args: [stack.userPath, ...stack.cookies.app], seconds: opts.wrkSeconds, serverPid: target.proc.child.pid });
    await measure(); // warm-up, unmeasured
    let open = mine;
    for (let r = 0; r < opts.rounds; r++) {
      const pair: Record<'with' | 'without', WrkResult | undefined> = { with: undefined, without: undefined };
      for (const which of r % 2 === 0 ? (['with', 'without'] as const) : (['without', 'with'] as const)) {
        if (which === 'without') {
          for (const s of open) s.close();
          open = [];
          await sleep(1_000);
        } else if (open.length === 0) {
          open = Array.from({ length: opts.streams }, (_, i) => openStream(target, stack.cookies.app[i % stack.cookies.app.length]!));
          await Promise.all(open.map((s) => s.opened));
          await sleep(1_000);
        }
        const before = await scrape(target.url, METRICS_TOKEN);
        pair[which] = await measure();
        const gc = gcSpent(before, await scrape(target.url, METRICS_TOKEN));
        overhead.gc.push({ which, ...gc });
        log(`  ${which} streams: ${gc.scavenges} scavenges, ${gc.scavengeS.toFixed(2)} s; ${gc.marks} mark-compacts, ${gc.markS.toFixed(2)} s; server CPU ${pair[which]!.serverCpu?.toFixed(2)} s`);
      }
      overhead.withStreams.push(pair.with!);
      overhead.without.push(pair.without!);
      overhead.ratios.push(pair.with!.cpuRps! / pair.without!.cpuRps!);
      overhead.loads.push(loadavg()[0]!);
      log(
        `round ${r + 1}: cached GET with ${opts.streams} idle streams ${fmt.rps(pair.with!.cpuRps!)} rps per CPU-s, without ${fmt.rps(pair.without!.cpuRps!)} (${overhead.ratios.at(-1)!.toFixed(2)}×); errors ${errorCount(pair.with!)} + ${errorCount(pair.without!)}`,
      );
    }
    for (const s of open) s.close();
    results.overhead = overhead;
  } else {
    for (const s of streams) s.close();
  }

  const logs = await stack.close({ keepDatabase: opts.keepDb });
  results.logs = logs;
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  writeFileSync(path.join(RESULTS, `live-${stamp}.json`), JSON.stringify(results, null, 2));
  const md = [
    `# Live updates: ${new Date().toISOString()}`,
    '',
    `Machine: ${Object.entries(results.machine as Record<string, string>).map(([k, v]) => `${k} ${v}`).join('; ')}`,
    `Changes published by: ${mode}. ${opts.streams} streams per instance over ${stack.cookies.app.length} admin sessions.`,
    '',
    table(
      ['measure', 'app', 'app2', 'target', 'load average (1 min)'],
      [
        [`RSS per open stream, the first ${opts.streams}`, ...memory.first.map((m) => kb(m.rss)), '≤ 20 KB', memoryLoad.toFixed(1)],
        [`  of it private (RssAnon), the first ${opts.streams}`, ...memory.first.map((m) => kb(m.anon)), '', ''],
        [`RSS per open stream, the next ${opts.streams}`, ...memory.next.map((m) => kb(m.rss)), '≤ 20 KB', ''],
        [`  of it private (RssAnon), the next ${opts.streams}`, ...memory.next.map((m) => kb(m.anon)), '', ''],
        [`RSS (private) after a full collection, the first ${opts.streams}`, ...memory.first.map((m) => `${kb(m.collectedRss)} (${kb(m.collected)})`), '≤ 20 KB', ''],
        [`RSS (private) after a full collection, the next ${opts.streams}`, ...memory.next.map((m) => `${kb(m.collectedRss)} (${kb(m.collected)})`), '≤ 20 KB', ''],
        [`RSS per open stream, all ${2 * opts.streams}`, ...memory.all.map((m) => kb(m.rss)), '≤ 20 KB', ''],
        [`  of it private (RssAnon), all ${2 * opts.streams}`, ...memory.all.map((m) => kb(m.anon)), '', ''],
        [`RSS (private) after a full collection, all ${2 * opts.streams}`, ...memory.all.map((m) => `${kb(m.collectedRss)} (${kb(m.collected)})`), '≤ 20 KB', ''],
        ['delivery p50 / p99 / max (ms)', `${delivery.p50.toFixed(1)} / ${delivery.p99.toFixed(1)} / ${delivery.max.toFixed(1)}`, `${delivery.deliveries} deliveries, ${delivery.missing} missing`, 'p99 ≤ 250 ms', delivery.load.toFixed(1)],
        ...storms.map((s, i) => [
          `storm ${i + 1}: Postgres loads (fills refused as stale, reads past Redis, fill waits run out)`,
          ...[0, 1].map((n) => `${s.loads[n]} (${s.refused[n]}, ${s.bypassed[n]}, ${s.waited[n]})`),
          '1 per instance',
          s.load.toFixed(1),
        ]),
        ...(overhead
          ? [
              ['cached GET, idle streams ÷ none (median of rounds)', `${median(overhead.ratios).toFixed(2)}× (${overhead.ratios.map((r) => r.toFixed(2)).join(', ')})`, '', '≥ 0.90×', overhead.loads.map((l) => l.toFixed(1)).join(', ')],
              ...(['with', 'without'] as const).map((which) => {
                const gc = overhead!.gc.filter((g) => g.which === which);
                const perScavenge = gc.map((g) => (g.scavenges > 0 ? (1000 * g.scavengeS) / g.scavenges : 0));
                return [
                  `GC in a round ${which} idle streams (median)`,
                  `scavenges ${median(gc.map((g) => g.scavengeS)).toFixed(2)} s (${median(perScavenge).toFixed(1)} ms each)`,
                  `mark-compact ${median(gc.map((g) => g.markS)).toFixed(2)} s`,
                  '',
                  '',
                ];
              }),
            ]
          : []),
      ],
    ),
    '',
    `Streams dropped by the server as too slow: ${cutStreams} (${streamResets} of them reset); stream openings retried after a 503: ${retried}, after a reset: ${openResets}; writes retried after a 503 or a reset: ${writeRetries}; requests reset by the server: ${requestResets}.`,
    `Storms: ${storms.map((s) => `${s.answers} refetches in ${s.ms.toFixed(0)} ms, ${s.non200} non-200, ${s.stale} stale`).join('; ')}.`,
    `Server logs: ${JSON.stringify(logs)}`,
    '',
  ].join('\n');
  writeFileSync(path.join(RESULTS, 'latest-live.md'), md);
  log(`written: bench/results/latest-live.md`);
  process.stdout.write(`\n${md}\n`);
}

main().then(
  () => process.exit(0),
  async (err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? err}\n`);
    await stopAll();
    process.exit(1);
  },
);
