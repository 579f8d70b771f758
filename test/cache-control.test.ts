import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createRoutes } from '../server/app.js';
import type { RouteDef } from '../server/http/route.js';
import { createApiTestApp } from './support/api.js';
import { ACCOUNT_PASSWORD, makeAccount, sessionCookieOf, type Account } from './support/accounts.js';
import type { TestApp } from './support/test-app.js';

/**
 * API.md: every /api response that depends on the caller's session carries
 * `Cache-Control: no-store`. Checked over the whole route table, for callers without a session,
 * crew and an admin, errors included: ids that exist nowhere (404), empty bodies (400), roles
 * that may not (403). Only answers' headers are read, so a streaming route is fine too.
 */

let t: TestApp;
let server: http.Server;
let base: { host: string; port: number };
let accounts: { crew: Account; admin: Account };

beforeAll(async () => {
  t = await createApiTestApp('cache-control');
  accounts = { crew: await makeAccount(t.deps.database.db, 'crew'), admin: await makeAccount(t.deps.database.db, 'admin') };
  server = t.app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  base = { host: '127.0.0.1', port: (server.address() as AddressInfo).port };
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await t.close();
});

interface Answer {
  status: number;
  cacheControl: string | undefined;
  setCookie: string[];
}

/** Sends one request and answers with its status and headers as soon as they arrive. */
function send(method: string, path: string, options: { cookie?: string; body?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    if (options.cookie) headers.cookie = options.cookie;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const req = http.request({ ...base, method, path, headers, agent: false }, (res) => {
      resolve({ status: res.statusCode!, cacheControl: res.headers['cache-control'], setCookie: res.headers['set-cookie'] ?? [] });
      res.destroy();
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

async function sessionOf(account: Account): Promise<string> {
  const res = await send('POST', '/api/auth/login', { body: JSON.stringify({ email: account.email, password: ACCOUNT_PASSWORD }) });
  expect(res.status).toBe(200);
  return sessionCookieOf(res.setCookie)!;
}

/** A path of the route with ids that exist nowhere. */
const pathOf = (route: RouteDef) => `/api${route.path.replace(/:[A-Za-z]+/g, '2147483647')}`;
const dependsOnSession = (route: RouteDef) => route.access.kind !== 'public' || route.access.loadsSession === true;

describe('Cache-Control: no-store', () => {
  it('is on every answer of every route that depends on the session, whoever asks and however it ends', async () => {
    const routes = createRoutes(t.deps).routes.filter(dependsOnSession);
    expect(routes.length).toBeGreaterThan(15);
    const seen: Array<{ route: string; caller: string; status: number; cacheControl: string | undefined }> = [];
    for (const caller of ['anonymous', 'crew', 'admin'] as const) {
      for (const route of routes) {
        // Logout ends the session it is sent with: each caller logs out one of its own.
        const cookie = caller === 'anonymous' ? undefined : await sessionOf(accounts[caller]);
        const res = await send(route.method.toUpperCase(), pathOf(route), { cookie, body: route.body ? '{}' : undefined });
        seen.push({ route: `${route.method.toUpperCase()} ${route.path}`, caller, status: res.status, cacheControl: res.cacheControl });
      }
    }
    // An event stream adds no-transform (proxies must not compress or buffer it); no-store is on every one.
    expect(seen.filter((s) => !(s.cacheControl ?? '').split(/,\s*/).includes('no-store'))).toEqual([]);
    expect(seen.filter((s) => s.status >= 500)).toEqual([]);
    // The errors were there to be checked: 401s, 403s, 404s and 400s all came up.
    const statuses = new Set(seen.map((s) => s.status));
    for (const status of [200, 400, 401, 403, 404]) expect(statuses).toContain(status);
  }, 120_000);

  it('is on what login answers, whatever it answers', async () => {
    const account = await makeAccount(t.deps.database.db, 'crew');
    const answers = [
      await send('POST', '/api/auth/login', { body: JSON.stringify({ email: account.email, password: ACCOUNT_PASSWORD }) }),
      await send('POST', '/api/auth/login', { body: JSON.stringify({ email: account.email, password: 'a wrong password' }) }),
      await send('POST', '/api/auth/login', { body: '{}' }),
      await send('POST', '/api/auth/login', { body: JSON.stringify({ email: account.email, password: 'x'.repeat(5_000) }) }),
    ];
    for (let i = 0; i < 4; i++) await send('POST', '/api/auth/login', { body: JSON.stringify({ email: account.email, password: 'a wrong password' }) });
    answers.push(await send('POST', '/api/auth/login', { body: JSON.stringify({ email: account.email, password: 'a wrong password' }) }));
    expect(answers.map((a) => [a.status, a.cacheControl])).toEqual([200, 401, 400, 413, 429].map((s) => [s, 'no-store']));
  });

  it('is not claimed by routes whose answers are the same for everyone (health, the OpenAPI document)', async () => {
    const open = createRoutes(t.deps).routes.filter((r) => !dependsOnSession(r));
    expect(open.map((r) => r.path).sort()).toEqual(expect.arrayContaining(['/health', '/health/live', '/openapi.json']));
    expect((await send('GET', '/api/openapi.json')).cacheControl).toBeUndefined();
  });
});
