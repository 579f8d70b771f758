import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { freePort } from '../support/redis-server.js';
import { bareEnv } from '../support/server-process.js';
import { ensureClientBuilt, ensureServerBuilt } from './support/builds.js';

/**
 * `npm run build`, then `npm start`: the compiled server, run by plain node in production mode,
 * serves the built browser app from dist/client. The app shell answers at / and at every app
 * address, hashed assets come precompressed with a year's cache life, source maps stay private,
 * and an asset that is not there is a 404, not the shell (a browser would try to run the HTML as a
 * script).
 */

let child: ChildProcess;
let exited: Promise<number | null>;
let output = '';
let url: string;

/** Resolves once the server answers its liveness check; rejects if it exits first. */
async function waitUntilLive(timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let gone = false;
  void exited.then(() => (gone = true));
  for (;;) {
    if (gone) throw new Error(`the compiled server exited before it listened:\n${output}`);
    if (Date.now() > deadline) throw new Error(`the compiled server did not answer within ${timeoutMs} ms:\n${output}`);
    const live = await fetch(`${url}/api/health/live`).then(
      (res) => res.ok,
      () => false,
    );
    if (live) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

beforeAll(async () => {
  ensureClientBuilt();
  ensureServerBuilt();

  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  child = spawn('node', ['dist/server/index.js'], {
    env: bareEnv({
      PORT: String(port),
      NODE_ENV: 'production',
      SESSION_SECRET: randomBytes(32).toString('hex'),
      DATABASE_URL: process.env.DATABASE_URL!,
      REDIS_PREFIX: process.env.REDIS_PREFIX!,
      ...(process.env.REDIS_HOST ? { REDIS_HOST: process.env.REDIS_HOST } : {}),
      ...(process.env.REDIS_PORT ? { REDIS_PORT: process.env.REDIS_PORT } : {}),
      LOG_LEVEL: 'warn',
    }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  await waitUntilLive(30_000);
}, 240_000);

afterAll(async () => {
  if (!child || child.exitCode !== null) return;
  child.kill('SIGTERM');
  await exited;
}, 30_000);

/** The app shell's script and stylesheet, as index.html names them. */
async function shellAssets(): Promise<{ script: string; stylesheets: string[] }> {
  const html = await (await fetch(`${url}/`)).text();
  const script = /<script type="module" crossorigin src="(\/assets\/index-[\w-]+\.js)">/.exec(html)?.[1];
  if (!script) throw new Error(`index.html names no hashed script:\n${html}`);
  return { script, stylesheets: [...html.matchAll(/<link rel="stylesheet" crossorigin href="(\/assets\/[\w-]+\.css)">/g)].map((m) => m[1]!) };
}

describe('the compiled server serving the built app', () => {
  it.each(['/', '/planner', '/my-shifts?week=2026-11-30'])('answers %s with the app shell, never cached', async (path) => {
    const res = await fetch(`${url}${path}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('cache-control')).toBe('no-cache');
    const html = await res.text();
    expect(html).toContain('<div id="root"></div>');
    expect(html).toMatch(/<title>Crew Plots Pro<\/title>/);
  });

  it('serves a hashed script as JavaScript, cached for a year, and it is the production build', async () => {
    const { script } = await shellAssets();
    const res = await fetch(`${url}${script}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^(text|application)\/javascript/);
    expect(res.headers.get('cache-control')).toMatch(/max-age=31536000.*immutable/);
    // React's development build calls jsxDEV and carries its warnings; the production one has neither.
    const code = await res.text();
    expect(code).not.toContain('jsxDEV');
    expect(code).not.toContain('should have a unique "key" prop');
  });

  it('serves the hashed stylesheet as CSS', async () => {
    const { stylesheets } = await shellAssets();
    expect(stylesheets).toHaveLength(1);
    const res = await fetch(`${url}${stylesheets[0]}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/css/);
  });

  it('sends it brotli-compressed to a browser that accepts brotli, and never its source map', async () => {
    const { script } = await shellAssets();
    const res = await fetch(`${url}${script}`, { headers: { 'Accept-Encoding': 'gzip, deflate, br, zstd' } });
    expect(res.headers.get('content-encoding')).toBe('br');
    expect(res.headers.get('vary')).toMatch(/Accept-Encoding/i);
    expect(await res.text()).toContain('sourceMappingURL');
    const map = await fetch(`${url}${script}.map`);
    expect(map.status).toBe(404);
    expect(map.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });

  it('answers a path that climbs out of the assets with a 404, and logs no error', async () => {
    const res = await fetch(`${url}/assets/..%2f..%2fpackage.json`);
    expect(res.status).toBe(404);
    expect(output).not.toMatch(/"level":50/);
  });

  it('answers a missing asset with 404, not the app shell', async () => {
    const res = await fetch(`${url}/assets/index-doesnotexist.js`);
    expect(res.status).toBe(404);
    expect(await res.text()).not.toContain('<div id="root">');
  });

  it('leaves unknown API paths to the API: a problem+json 404', async () => {
    const res = await fetch(`${url}/api/no-such-thing`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });
});
