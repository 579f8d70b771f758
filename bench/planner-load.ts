/**
 * Cold planner load in Chromium (issue 16, item 8): the browser app as main has it ("before") and
 * as this tree has it ("after"), side by side in one run, on loopback and on emulated Fast 3G.
 *
 *   node_modules/.bin/tsx bench/planner-load.ts [--runs 5] [--runs-3g 3] [--base main]
 *
 * One API server (from source, a database of the run's own on the shared Postgres, the shared
 * Redis under a prefix of its own) and, per variant, a front in this process that serves that
 * variant's production build with the app's own static router (precompressed files) and passes
 * /api through. Each load is a new browser context (empty HTTP cache) holding the session cookie
 * and what a previous visit leaves in localStorage (role, location and its zone): a manager
 * opening the planner in the morning. "after, first visit" leaves localStorage empty.
 * Variants alternate within each round, so load on the machine hits both alike.
 *
 * Measured: LCP (largest-contentful-paint, from navigation start) and "grid visible" (the week
 * grid's table first in the DOM, performance.now()), medians; and the requests' dependency depth
 * (how many answers each waited for). Results: bench/results/latest-planner-load.md.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import express from 'express';
import { chromium, type Browser } from 'playwright-core';
import { clientApp } from '../server/http/client-app.js';
import { addWeeks, localInstant, mondayOf } from '../shared/time.js';
import { REPO, RESULTS, RUN_ID, freePort } from './lib/proc.js';
import { SHARED_PG, createDatabase, dropDatabase } from './lib/services.js';
import { median } from './lib/stats.js';
import { value } from './lib/args.js';

const RUNS = Number(value('runs') ?? 5);
const RUNS_3G = Number(value('runs-3g') ?? 3);
const BASE = value('base') ?? 'main';
// Outside the repository: the old client's sources there would be type-checked as part of it.
const WORK = path.join(tmpdir(), `crewplots-planner-load-${RUN_ID}`);
const DB = `crewplots_bench_planner_${RUN_ID}`;
const PASSWORD = 'planner-bench-password';
const ZONE = 'Europe/Amsterdam';
/** DevTools' "Fast 3G" preset (Chromium's network throttling presets). */
const FAST_3G = { offline: false, latency: 562.5, downloadThroughput: (1.6 * 1000 * 1000) / 8 * 0.9, uploadThroughput: (750 * 1000) / 8 * 0.9 };

const log = (line: string) => process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);

function viteBuild(configDir: string, outDir: string): void {
  execFileSync(path.join(REPO, 'node_modules/.bin/vite'), ['build', '--logLevel', 'error', '--config', path.join(configDir, 'vite.config.ts'), '--outDir', outDir, '--emptyOutDir'], {
    cwd: configDir,
    env: { ...process.env, NODE_ENV: 'production' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}

/** The client as `BASE` has it, built from `git archive` (nothing is checked out). */
function buildBefore(outDir: string): void {
  const src = path.join(WORK, 'before-src');
  mkdirSync(src, { recursive: true });
  execFileSync('bash', ['-c', `git archive ${BASE} client shared build vite.config.ts package.json | tar -x -C '${src}'`], { cwd: REPO });
  symlinkSync(path.join(REPO, 'node_modules'), path.join(src, 'node_modules'));
  viteBuild(src, outDir);
}

interface Api {
  url: string;
  child: ChildProcess;
}

async function startApi(dbUrl: string, adminEmail: string): Promise<Api> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/index.ts'], {
    cwd: REPO,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      PORT: String(port),
      DATABASE_URL: dbUrl,
      REDIS_PREFIX: `crewplots-bench-planner-${RUN_ID}:`,
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      ADMIN_EMAIL: adminEmail,
      ADMIN_PASSWORD: PASSWORD,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error('the API server exited while starting');
    const ok = await fetch(`${url}/api/health/live`).then((r) => r.ok, () => false);
    if (ok) break;
    if (i > 600) throw new Error('the API server did not start within 60 s');
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, child };
}

/** A variant's build, served as the app serves it, with /api passed through to the one API server. */
async function startFront(dir: string, api: string): Promise<{ url: string; server: http.Server }> {
  const target = new URL(api);
  const app = express();
  app.use('/api', (req, res) => {
    const upstream = http.request(
      { host: target.hostname, port: target.port, method: req.method, path: req.originalUrl, headers: { ...req.headers, host: target.host } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  app.use(clientApp(dir, { sourceMaps: false }));
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

async function call<T>(base: string, cookie: string, method: string, route: string, body?: unknown): Promise<T> {
  const res = await fetch(`${base}/api${route}`, {
    method,
    headers: { Cookie: cookie, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${await res.text()}`);
  return (res.status === 204 ? undefined : await res.json()) as T;
}

async function login(base: string, email: string): Promise<string> {
  const res = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email, password: PASSWORD }) });
  if (res.status !== 200) throw new Error(`login: ${res.status}`);
  return res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
}

/** A location with 24 crew and this week's schedule of 84 shifts; a manager of it. */
async function seedWeek(api: string, adminEmail: string) {
  const admin = await login(api, adminEmail);
  const location = await call<{ id: number }>(api, admin, 'POST', '/locations', { name: 'Harbour Bar', timezone: ZONE });
  const managerEmail = `manager-${RUN_ID}@bench.crewplots.example`;
  await call(api, admin, 'POST', '/users', { email: managerEmail, name: 'Morgan Manager', role: 'manager', password: PASSWORD, locationIds: [location.id] });
  const crew: number[] = [];
  for (let i = 0; i < 24; i++) {
    const u = await call<{ id: number }>(api, admin, 'POST', '/users', {
      email: `crew-${i}-${RUN_ID}@bench.crewplots.example`,
      name: `Crew Member ${String(i + 1).padStart(2, '0')}`,
      role: 'crew',
      password: PASSWORD,
      locationIds: [location.id],
    });
    crew.push(u.id);
  }
  const week = mondayOf(new Date(), ZONE);
  const manager = await login(api, managerEmail);
  await call(api, manager, 'POST', '/schedules', { locationId: location.id, weekStart: addWeeks(week, -1) });
  const schedule = await call<{ id: number }>(api, manager, 'POST', '/schedules', { locationId: location.id, weekStart: week });
  for (let i = 0; i < 84; i++) {
    const day = i % 7;
    const start = localInstant(week, day, `${String(9 + ((i * 5) % 12)).padStart(2, '0')}:00`, ZONE);
    const userId = i % 12 === 11 ? null : crew[Math.floor(i / 7) % crew.length]!;
    await call(api, manager, 'POST', `/schedules/${schedule.id}/shifts`, {
      userId,
      position: ['Bartender', 'Runner', 'Host', 'Barback'][i % 4],
      startsAt: start.toISOString(),
      endsAt: new Date(start.getTime() + 5 * 3600_000).toISOString(),
    });
  }
  return { location, managerEmail, week };
}

interface Load {
  lcp: number;
  grid: number;
  /** API requests made before the grid showed. */
  requests: number;
  /** The longest chain of requests each sent only after the previous one's answer. */
  depth: number;
}

/**
 * Runs in the page before its own scripts: seeds localStorage as a previous visit left it (once),
 * and records the last LCP candidate and when the week grid first enters the DOM.
 */
const observe = (storage: Record<string, string> | null) => `
  const storage = ${JSON.stringify(storage)};
  if (storage && !sessionStorage.getItem('bench.seeded')) {
    for (const [k, v] of Object.entries(storage)) localStorage.setItem(k, v);
    sessionStorage.setItem('bench.seeded', '1');
  }
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) window.__lcp = entry.startTime;
  }).observe({ type: 'largest-contentful-paint', buffered: true });
  const watch = new MutationObserver(() => {
    if (window.__grid === undefined && document.querySelector('table.weekgrid')) {
      window.__grid = performance.now();
      watch.disconnect();
    }
  });
  document.addEventListener('DOMContentLoaded', () => watch.observe(document.body, { childList: true, subtree: true }));
`;

async function loadOnce(browser: Browser, base: string, cookie: string, storage: Record<string, string> | null, throttle: boolean): Promise<Load> {
  const context = await browser.newContext({ viewport: { width: 1366, height: 860 }, locale: 'en-GB', timezoneId: 'Europe/London' });
  try {
    await context.addCookies(cookie.split('; ').map((c) => ({ name: c.split('=')[0]!, value: c.slice(c.indexOf('=') + 1), url: base })));
    await context.addInitScript({ content: observe(storage) });
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
    if (throttle) await cdp.send('Network.emulateNetworkConditions', FAST_3G);
    const started = new Map<string, { start: number; depth: number }>();
    const finished: Array<{ end: number; depth: number }> = [];
    page.on('request', (req) => {
      if (!req.url().includes('/api/') || req.url().includes('/api/events')) return;
      const now = performance.now();
      // A request's depth: one more than the deepest answer that had arrived before it was sent.
      const depth = 1 + Math.max(0, ...finished.filter((f) => f.end <= now).map((f) => f.depth));
      started.set(req.url() + req.method(), { start: now, depth });
    });
    page.on('requestfinished', (req) => {
      const s = started.get(req.url() + req.method());
      if (s) finished.push({ end: performance.now(), depth: s.depth });
    });
    await page.goto(`${base}/planner`, { waitUntil: 'commit', timeout: 120_000 });
    await page.locator('table.weekgrid').waitFor({ timeout: 120_000 });
    // LCP is final once the page stops painting; a moment after the grid is enough for this page.
    await page.waitForTimeout(throttle ? 1500 : 300);
    const { lcp, grid } = await page.evaluate<{ lcp: number; grid: number }>('({ lcp: window.__lcp ?? NaN, grid: window.__grid ?? NaN })');
    const depths = [...started.values()].filter((s) => s.start <= performance.now()).map((s) => s.depth);
    return { lcp, grid, requests: started.size, depth: Math.max(...depths) };
  } finally {
    await context.close();
  }
}

async function main() {
  mkdirSync(WORK, { recursive: true });
  const builds = { before: path.join(WORK, 'before'), after: path.join(WORK, 'after') };
  log(`building the client as ${BASE} has it, and as this tree has it`);
  buildBefore(builds.before);
  viteBuild(REPO, builds.after);

  const dbUrl = await createDatabase(SHARED_PG, DB);
  const adminEmail = `admin-${RUN_ID}@bench.crewplots.example`;
  const api = await startApi(dbUrl, adminEmail);
  const fronts: Array<{ server: http.Server }> = [];
  let browser: Browser | undefined;
  try {
    const { location, managerEmail } = await seedWeek(api.url, adminEmail);
    const before = await startFront(builds.before, api.url);
    const after = await startFront(builds.after, api.url);
    fronts.push(before, after);
    const cookie = await login(api.url, managerEmail);
    // What the previous visit left: the old app stores only the location; the new one also its zone and the role.
    const returning = { 'crewplots.location': String(location.id), 'crewplots.location.zone': ZONE, 'crewplots.role': 'manager' };
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
    });
    const variants = [
      { name: 'before', base: before.url, storage: returning },
      { name: 'after', base: after.url, storage: returning },
      { name: 'after, first visit', base: after.url, storage: null },
    ];
    const results: Record<string, Load[]> = {};
    const loads: number[] = [];
    for (const [network, runs] of [['loopback', RUNS], ['Fast 3G', RUNS_3G]] as const) {
      // One warm-up load each (the server's first reads fill its cache), not counted.
      for (const v of variants) await loadOnce(browser, v.base, cookie, v.storage, false);
      for (let round = 0; round < runs; round++) {
        for (const v of round % 2 === 0 ? variants : [...variants].reverse()) {
          const r = await loadOnce(browser, v.base, cookie, v.storage, network === 'Fast 3G');
          (results[`${network}|${v.name}`] ??= []).push(r);
          log(`${network} ${v.name}: LCP ${r.lcp.toFixed(0)} ms, grid ${r.grid.toFixed(0)} ms, ${r.requests} requests, depth ${r.depth}`);
        }
        loads.push(loadavg()[0]!);
      }
    }
    const lines = [
      `# Cold planner load, ${new Date().toISOString()}`,
      '',
      `Command: \`node_modules/.bin/tsx bench/planner-load.ts --runs ${RUNS} --runs-3g ${RUNS_3G} --base ${BASE}\``,
      `Load average (1 min) during the rounds: ${Math.min(...loads).toFixed(2)}–${Math.max(...loads).toFixed(2)} on ${(await import('node:os')).cpus().length} cores`,
      '',
      '| network | client | runs | LCP (median) | grid visible (median) | API requests before the grid | request chain depth |',
      '|---|---|---|---|---|---|---|',
    ];
    for (const [key, rs] of Object.entries(results)) {
      const [network, name] = key.split('|');
      lines.push(
        `| ${network} | ${name} | ${rs.length} | ${median(rs.map((r) => r.lcp)).toFixed(0)} ms | ${median(rs.map((r) => r.grid)).toFixed(0)} ms | ${median(rs.map((r) => r.requests))} | ${median(rs.map((r) => r.depth))} |`,
      );
    }
    for (const network of ['loopback', 'Fast 3G']) {
      const b = results[`${network}|before`]!;
      const a = results[`${network}|after`]!;
      lines.push('', `${network}: grid visible after/before = ${(median(a.map((r) => r.grid)) / median(b.map((r) => r.grid))).toFixed(2)}, LCP after/before = ${(median(a.map((r) => r.lcp)) / median(b.map((r) => r.lcp))).toFixed(2)}`);
    }
    mkdirSync(RESULTS, { recursive: true });
    writeFileSync(path.join(RESULTS, 'latest-planner-load.md'), `${lines.join('\n')}\n`);
    process.stdout.write(`\n${lines.join('\n')}\n`);
  } finally {
    await browser?.close();
    for (const f of fronts) {
      f.server.closeAllConnections();
      f.server.close();
    }
    api.child.kill('SIGTERM');
    await new Promise((resolve) => (api.child.exitCode !== null ? resolve(null) : api.child.once('exit', resolve)));
    await dropDatabase(SHARED_PG, DB);
    rmSync(WORK, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
