import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import request from 'supertest';
import { createTestApp, type TestApp } from './support/test-app.js';
import { ACCOUNT_PASSWORD, makeAccount, sessionCookieOf, signIn } from './support/accounts.js';
import { startPrivateRedis, type PrivateRedis } from './support/redis-server.js';
import { bareEnv, startServer } from './support/server-process.js';

/** Sessions across restarts, across instances, and what they cost Redis per request. */

describe('a session survives restarts', () => {
  let redis: PrivateRedis;
  beforeAll(async () => {
    redis = await startPrivateRedis({ appendonly: true });
  });
  afterAll(() => redis.destroy());

  it('of the server process, and of Redis with AOF on', async () => {
    const t = await createTestApp({ REDIS_PORT: String(redis.port) });
    const account = await makeAccount(t.deps.database.db, 'crew');
    await t.close();

    const env = bareEnv({
      DATABASE_URL: process.env.DATABASE_URL!,
      REDIS_PORT: String(redis.port),
      REDIS_PREFIX: process.env.REDIS_PREFIX!,
    });
    let server = await startServer(env);
    const login = await fetch(`${server.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: account.email, password: ACCOUNT_PASSWORD }),
    });
    expect(login.status).toBe(200);
    const cookie = sessionCookieOf(login.headers.getSetCookie())!;
    const me = () => fetch(`${server.url}/api/auth/me`, { headers: { cookie } });

    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    server = await startServer(env);
    expect((await me()).status).toBe(200);

    await redis.stop();
    await redis.start();
    // The app reconnects on its own back-off; the session was replayed from the append-only file.
    const deadline = Date.now() + 5_000;
    let status = 0;
    while (Date.now() < deadline && status !== 200) {
      status = (await me()).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe(200);
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
  }, 60_000);
});

describe('what an authenticated GET costs Redis', () => {
  let redis: PrivateRedis;
  let t: TestApp;
  beforeAll(async () => {
    redis = await startPrivateRedis();
    t = await createTestApp({ REDIS_PORT: String(redis.port) });
  });
  afterAll(async () => {
    await t.close();
    await redis.destroy();
  });

  it('over 1,000 cached GETs: one session read each, at most one session write per 100', async () => {
    const account = await makeAccount(t.deps.database.db, 'crew');
    const agent = await signIn(t.app, account);
    await agent.get(`/api/users/${account.id}`).expect(200);

    const stats = new Redis({ port: redis.port, host: '127.0.0.1' });
    let info: string;
    try {
      await stats.config('RESETSTAT');
      for (let i = 0; i < 1_000; i++) await agent.get(`/api/users/${account.id}`).expect(200);
      info = await stats.info('commandstats');
    } finally {
      // Else, on a failure, it would go on reconnecting to the stopped Redis after the file ends.
      stats.disconnect();
    }

    const calls = Object.fromEntries(
      [...info.matchAll(/^cmdstat_([a-z|]+):calls=(\d+)/gm)].map((m) => [m[1]!, Number(m[2])]),
    ) as Record<string, number>;
    const total = Object.entries(calls)
      .filter(([name]) => !name.startsWith('config') && name !== 'info')
      .reduce((n, [, c]) => n + c, 0);
    const sessionWrites = ['hset', 'set', 'expire', 'pexpire', 'pexpireat', 'zadd', 'sadd', 'del'].reduce((n, name) => n + (calls[name] ?? 0), 0);

    expect(calls.hgetall).toBe(1_000);
    expect(sessionWrites).toBeLessThanOrEqual(10);
    // Commands run inside a script count one by one in commandstats, as Redis executes them.
    // (+1 %: the cache re-reads its epoch every 15 s in the background, whatever the traffic.)
    expect(total / 1_000).toBeLessThanOrEqual(2.01);
    expect(calls.keys ?? 0).toBe(0);
  });
});

describe('login rate limit across instances', () => {
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    [a, b] = await Promise.all([createTestApp(), createTestApp()]);
  });
  afterAll(async () => {
    await Promise.all([a.close(), b.close()]);
  });

  const attempt = (t: TestApp, email: string, password = 'a wrong password') => request(t.app).post('/api/auth/login').send({ email, password });

  it('the 6th failed login of one account within the window is 429 with Retry-After, whichever instance it reaches', async () => {
    const account = await makeAccount(a.deps.database.db, 'crew');
    for (const t of [a, b, a, b, a]) expect((await attempt(t, account.email)).status).toBe(401);
    const sixth = await attempt(b, account.email);
    expect(sixth.status).toBe(429);
    expect(sixth.body.code).toBe('rate_limited');
    expect(Number(sixth.headers['retry-after'])).toBeGreaterThan(800);
    expect(Number(sixth.headers['retry-after'])).toBeLessThanOrEqual(900);
    // Even the right password waits out the window now.
    expect((await attempt(a, account.email, ACCOUNT_PASSWORD)).status).toBe(429);
  });

  it('a successful login resets the account counter', async () => {
    const account = await makeAccount(a.deps.database.db, 'crew');
    for (const t of [a, b, a, b]) expect((await attempt(t, account.email)).status).toBe(401);
    expect((await attempt(a, account.email, ACCOUNT_PASSWORD)).status).toBe(200);
    for (const t of [b, a, b, a, b]) expect((await attempt(t, account.email)).status).toBe(401);
    expect((await attempt(a, account.email)).status).toBe(429);
  });

  it('concurrent guesses cannot slip past the limit', async () => {
    const account = await makeAccount(a.deps.database.db, 'crew');
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => attempt(i % 2 ? a : b, account.email)));
    expect(answers.filter((r) => r.status === 401)).toHaveLength(5);
    expect(answers.filter((r) => r.status === 429)).toHaveLength(7);
  });
});
