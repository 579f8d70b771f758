/**
 * What a browser downloads to open the planner cold: Chromium logs in as an admin and opens
 * /planner on an empty cache, and the bytes that crossed the wire for the app's own files (HTML,
 * scripts, stylesheet, icon) are summed from DevTools' network events. Run three times: as
 * Chromium asks (gzip, deflate, br, zstd), accepting gzip only, and asking for no encoding, which
 * is what every browser got before the build wrote compressed copies. The server is the one from source in production mode,
 * on an embedded Postgres in a temporary folder and a private Redis; nothing shared is touched.
 *
 *   node_modules/.bin/tsx bench/transfer.ts
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { ensureClientBuilt } from '../test/e2e/support/builds.js';
import { DESKTOP, launchChromium } from '../test/e2e/support/browser.js';
import { startPrivateRedis } from '../test/support/redis-server.js';
import { bareEnv, startServer } from '../test/support/server-process.js';

const EMAIL = 'transfer-admin@example.test';
const PASSWORD = randomBytes(12).toString('hex');

interface Transfer {
  kind: string;
  files: number;
  wireBytes: number;
  bodyBytes: number;
}

async function openPlanner(browser: Browser, url: string, acceptEncoding?: string): Promise<Transfer[]> {
  const context = await browser.newContext({ ...DESKTOP, baseURL: url, ...(acceptEncoding ? { extraHTTPHeaders: { 'Accept-Encoding': acceptEncoding } } : {}) });
  const page = await context.newPage();
  await page.goto('/login');
  await page.getByLabel('Email').fill(EMAIL);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL(/\/planner/);
  // A fresh page on the same context: its cache is empty again only if disabled, so turn it off.
  const cold = await context.newPage();
  const cdp = await context.newCDPSession(cold);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  const types = new Map<string, { type: string; url: string; body: number }>();
  const done: { id: string; wire: number }[] = [];
  cdp.on('Network.responseReceived', (e) => types.set(e.requestId, { type: e.type, url: e.response.url, body: 0 }));
  cdp.on('Network.dataReceived', (e) => {
    const entry = types.get(e.requestId);
    if (entry) entry.body += e.dataLength;
  });
  cdp.on('Network.loadingFinished', (e) => done.push({ id: e.requestId, wire: e.encodedDataLength }));
  await cold.goto('/planner');
  await cold.getByRole('heading', { level: 1, name: 'Planner' }).waitFor();
  await cold.waitForLoadState('networkidle');
  await context.close();

  const byKind = new Map<string, Transfer>();
  for (const { id, wire } of done) {
    const entry = types.get(id);
    if (!entry || new URL(entry.url).pathname.startsWith('/api/')) continue;
    const kind = entry.type === 'Script' ? 'scripts' : entry.type === 'Stylesheet' ? 'stylesheet' : entry.type === 'Document' ? 'HTML' : 'other';
    const row = byKind.get(kind) ?? { kind, files: 0, wireBytes: 0, bodyBytes: 0 };
    row.files += 1;
    row.wireBytes += wire;
    row.bodyBytes += entry.body;
    byKind.set(kind, row);
  }
  return [...byKind.values()].sort((a, b) => b.wireBytes - a.wireBytes);
}

const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;

async function main(): Promise<void> {
  ensureClientBuilt();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'crewplots-transfer-'));
  const redis = await startPrivateRedis();
  const server = await startServer(
    bareEnv({
      NODE_ENV: 'production',
      SESSION_SECRET: randomBytes(32).toString('hex'),
      COOKIE_SECURE: 'false',
      DATA_DIR: dataDir,
      REDIS_PORT: String(redis.port),
      ADMIN_EMAIL: EMAIL,
      ADMIN_PASSWORD: PASSWORD,
      // startServer waits for the info line that says the server listens.
      LOG_LEVEL: 'info',
    }),
    60_000,
  );
  const browser = await launchChromium();
  try {
    for (const [label, accept] of [
      ['as Chromium asks (gzip, deflate, br, zstd)', undefined],
      ['accepting gzip only', 'gzip'],
      ['asking for no encoding (what was sent before)', 'identity'],
    ] as const) {
      const rows = await openPlanner(browser, server.url, accept);
      console.log(`\n${label}\n\n| files | count | over the wire | unpacked |\n|---|---|---|---|`);
      for (const r of rows) console.log(`| ${r.kind} | ${r.files} | ${kb(r.wireBytes)} | ${kb(r.bodyBytes)} |`);
      const sum = (f: (r: Transfer) => number) => rows.reduce((a, r) => a + f(r), 0);
      console.log(`| all | ${sum((r) => r.files)} | ${kb(sum((r) => r.wireBytes))} | ${kb(sum((r) => r.bodyBytes))} |`);
    }
  } finally {
    await browser.close();
    server.child.kill('SIGTERM');
    await server.exited;
    await redis.destroy();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
