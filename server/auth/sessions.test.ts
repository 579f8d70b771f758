import { createAccountsRepository } from '../accounts/accounts.repository.js';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { createTestApp, type TestApp } from '../../test/support/test-app.js';
import { ACCOUNT_PASSWORD, makeAccount, sessionCookieOf, sessionIdOf, signIn, type Account, type Agent } from '../../test/support/accounts.js';
import { insertLocation } from '../../test/support/factories.js';
import { startPrivateRedis, type PrivateRedis } from '../../test/support/redis-server.js';
import { eq } from 'drizzle-orm';
import { Redis } from 'ioredis';
import { AuthResponse } from '../../shared/schemas/users.js';
import { locations, users } from '../db/schema.js';
import { RedisSessionStore, type SessionAccess } from './session.store.js';
import { createSessions } from './sessions.js';
import express from 'express';
import type { SessionData } from 'express-session';
import { testLogger } from '../../test/support/logs.js';
import { createUsersRepository } from '../users/users.repository.js';
import { createUsersService } from '../users/users.service.js';
import { createWrites } from '../app.js';

let t: TestApp;
let locationId: number;
const prefix = () => t.deps.config.redis.prefix;
const sessionExists = async (sid: string) => (await t.deps.redis.main.exists(`${prefix()}sess:${sid}`)) === 1;
const indexKey = (userId: number) => new RedisSessionStore(t.deps.redis.main, prefix(), 86_400).indexKey(userId);

beforeAll(async () => {
  t = await createTestApp();
  locationId = (await insertLocation(t.deps.database.db)).id;
});
afterAll(() => t.close());

/** The `crewplots.sid=…` pair a response sets, as a browser would send it back. */
const cookieOf = (res: { headers: Record<string, unknown> }) => sessionCookieOf(res.headers['set-cookie'] as string[] | undefined);

async function crew(): Promise<Account> {
  return makeAccount(t.deps.database.db, 'crew', [locationId]);
}

describe('POST /api/auth/login', () => {
  it('answers the user (no password or hash) and sets an HttpOnly, SameSite=Lax session cookie', async () => {
    const account = await crew();
    const res = await request(t.app).post('/api/auth/login').send({ email: account.email.toUpperCase(), password: ACCOUNT_PASSWORD }).expect(200);
    expect(AuthResponse.parse(res.body).user).toMatchObject({ id: account.id, email: account.email, role: 'crew', locationIds: [locationId] });
    expect(res.text).not.toMatch(/password|argon2/i);
    const cookie = (res.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith('crewplots.sid='))!;
    expect(cookie).toBeDefined();
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).not.toMatch(/Secure/);
    const sid = sessionIdOf(res.headers['set-cookie']);
    const ttl = await t.deps.redis.main.ttl(`${prefix()}sess:${sid}`);
    expect(ttl).toBeGreaterThan(86_000);
    expect(ttl).toBeLessThanOrEqual(86_400);
  });

  it('gives the same 401 to an unknown email, a wrong password and a deactivated user', async () => {
    const account = await crew();
    const gone = await crew();
    await t.deps.database.db.update(users).set({ active: false }).where(eq(users.id, gone.id));
    const answers = await Promise.all([
      request(t.app).post('/api/auth/login').send({ email: 'nobody-here@test.crewplots.example', password: ACCOUNT_PASSWORD }),
      request(t.app).post('/api/auth/login').send({ email: account.email, password: 'not the password at all' }),
      request(t.app).post('/api/auth/login').send({ email: gone.email, password: ACCOUNT_PASSWORD }),
    ]);
    for (const res of answers) {
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ code: 'unauthenticated', detail: answers[0]!.body.detail });
      expect(res.headers['set-cookie']).toBeUndefined();
    }
  });

  it('replaces a session id known before login (fixation): the old one is gone from Redis', async () => {
    const account = await crew();
    const agent = await signIn(t.app, account);
    const before = sessionIdOf((await agent.post('/api/auth/login').send({ email: account.email, password: ACCOUNT_PASSWORD })).headers['set-cookie']);
    expect(before).toBeDefined();
    const res = await agent.post('/api/auth/login').send({ email: account.email, password: ACCOUNT_PASSWORD }).expect(200);
    const after = sessionIdOf(res.headers['set-cookie']);
    expect(after).toBeDefined();
    expect(after).not.toBe(before);
    expect(await sessionExists(before!)).toBe(false);
    expect(await sessionExists(after!)).toBe(true);
  });

  it('keeps what access checks need in the session, not a copy of the profile', async () => {
    const account = await crew();
    const res = await request(t.app).post('/api/auth/login').send({ email: account.email, password: ACCOUNT_PASSWORD });
    const stored = await t.deps.redis.main.hgetall(`${prefix()}sess:${sessionIdOf(res.headers['set-cookie'])}`);
    expect(JSON.parse(stored.access!)).toEqual({ userId: account.id, role: 'crew', locationIds: [locationId] });
    expect(Object.keys(stored).sort()).toEqual(['access', 'state']);
    expect(JSON.stringify(stored)).not.toMatch(/email|name|phone|password/);
  });
});

describe('GET /api/auth/me and POST /api/auth/logout', () => {
  it('me answers the signed-in user; without a session it is 401', async () => {
    const account = await crew();
    const agent = await signIn(t.app, account);
    const me = await agent.get('/api/auth/me').expect(200);
    expect(me.body.user).toMatchObject({ id: account.id, email: account.email });
    await request(t.app).get('/api/auth/me').expect(401);
  });

  it('logout deletes crewplots:sess:<sid> and clears the cookie; the old cookie is then refused', async () => {
    const account = await crew();
    const login = await request(t.app).post('/api/auth/login').send({ email: account.email, password: ACCOUNT_PASSWORD });
    const cookie = cookieOf(login)!;
    const sid = sessionIdOf(login.headers['set-cookie'])!;
    expect(await sessionExists(sid)).toBe(true);
    expect(await t.deps.redis.main.zscore(indexKey(account.id), sid)).not.toBeNull();

    const res = await request(t.app).post('/api/auth/logout').set('Cookie', cookie).expect(204);
    expect(res.text).toBe('');
    expect((res.headers['set-cookie'] as unknown as string[])[0]).toMatch(/^crewplots\.sid=;.*Expires=Thu, 01 Jan 1970/);
    expect(await sessionExists(sid)).toBe(false);
    expect(await t.deps.redis.main.zscore(indexKey(account.id), sid)).toBeNull();
    await request(t.app).get('/api/auth/me').set('Cookie', cookie).expect(401);
  });

  it('a forged or tampered cookie is no session', async () => {
    await request(t.app).get('/api/auth/me').set('Cookie', 'crewplots.sid=s%3Aforged.c2lnbmF0dXJl').expect(401);
  });
});

describe('GET /api/auth/session, the probe the app starts with', () => {
  it('answers 200 with the signed-in user, or with null for a visitor, a forged cookie and an ended session', async () => {
    const account = await crew();
    const agent = await signIn(t.app, account);
    const mine = await agent.get('/api/auth/session').expect(200);
    expect(mine.body).toEqual({ user: expect.objectContaining({ id: account.id, email: account.email }) });
    expect(mine.headers['content-type']).toMatch(/^application\/json/);

    expect((await request(t.app).get('/api/auth/session').expect(200)).body).toEqual({ user: null });
    expect((await request(t.app).get('/api/auth/session').set('Cookie', 'crewplots.sid=s%3Aforged.c2lnbmF0dXJl').expect(200)).body).toEqual({ user: null });
    await agent.post('/api/auth/logout').expect(204);
    expect((await agent.get('/api/auth/session').expect(200)).body).toEqual({ user: null });
  });
});

describe('reading a session on GET and HEAD (without express-session)', () => {

  it('accepts a cookie signed with any configured secret, so secrets can be rotated', async () => {
    const account = await crew();
    const old = await createTestApp({ SESSION_SECRET: 'o'.repeat(32) });
    const rotated = await createTestApp({ SESSION_SECRET: `${'n'.repeat(32)},${'o'.repeat(32)}` });
    const retired = await createTestApp({ SESSION_SECRET: 'n'.repeat(32) });
    try {
      const login = await request(old.app).post('/api/auth/login').send({ email: account.email, password: ACCOUNT_PASSWORD }).expect(200);
      const cookie = cookieOf(login)!;
      expect((await request(rotated.app).get('/api/auth/me').set('Cookie', cookie).expect(200)).body.user.id).toBe(account.id);
      await request(rotated.app).head('/api/auth/me').set('Cookie', cookie).expect(200);
      await request(retired.app).get('/api/auth/me').set('Cookie', cookie).expect(401);
      // State-changing requests go through express-session, with the same secrets.
      await request(rotated.app).post('/api/auth/logout').set('Cookie', cookie).expect(204);
      await request(rotated.app).get('/api/auth/me').set('Cookie', cookie).expect(401);
    } finally {
      await Promise.all([old.close(), rotated.close(), retired.close()]);
    }
  });

  it('a real session id under a wrong signature, or a cookie without one, is no session', async () => {
    const account = await crew();
    const login = await request(t.app).post('/api/auth/login').send({ email: account.email, password: ACCOUNT_PASSWORD }).expect(200);
    const sid = sessionIdOf(login.headers['set-cookie'])!;
    await request(t.app).get('/api/auth/me').set('Cookie', `crewplots.sid=s%3A${sid}.c2lnbmF0dXJl`).expect(401);
    await request(t.app).get('/api/auth/me').set('Cookie', `crewplots.sid=${sid}`).expect(401);
    await request(t.app).get('/api/auth/me').set('Cookie', cookieOf(login)!).expect(200);
  });

  it('an unreadable stored session is a 401, not a 500', async () => {
    const account = await crew();
    const login = await request(t.app).post('/api/auth/login').send({ email: account.email, password: ACCOUNT_PASSWORD }).expect(200);
    const key = `${prefix()}sess:${sessionIdOf(login.headers['set-cookie'])}`;
    await t.deps.redis.main.hset(key, 'access', '{"userId":"not a number"');
    await request(t.app).get('/api/auth/me').set('Cookie', cookieOf(login)!).expect(401);
  });

  it('sends no cookie and writes nothing until half the lifetime is spent, then extends it once', async () => {
    const account = await crew();
    const login = await request(t.app).post('/api/auth/login').send({ email: account.email, password: ACCOUNT_PASSWORD }).expect(200);
    const cookie = cookieOf(login)!;
    const key = `${prefix()}sess:${sessionIdOf(login.headers['set-cookie'])}`;
    const stateBefore = await t.deps.redis.main.hget(key, 'state');
    await t.deps.redis.main.expire(key, 20 * 3600);
    const fresh = await request(t.app).get(`/api/users/${account.id}`).set('Cookie', cookie).expect(200);
    expect(fresh.headers['set-cookie']).toBeUndefined();
    expect(await t.deps.redis.main.hget(key, 'state')).toBe(stateBefore);
    expect(await t.deps.redis.main.ttl(key)).toBeLessThanOrEqual(20 * 3600);

    const state = JSON.parse((await t.deps.redis.main.hget(key, 'state'))!);
    await t.deps.redis.main.hset(key, 'state', JSON.stringify({ ...state, refreshedAt: Date.now() - 13 * 3600_000 }));
    await t.deps.redis.main.expire(key, 11 * 3600);
    const due = await request(t.app).get(`/api/users/${account.id}`).set('Cookie', cookie).expect(200);
    expect(due.body.id).toBe(account.id);
    expect(cookieOf(due)).toBe(cookie);
    expect(JSON.parse((await t.deps.redis.main.hget(key, 'state'))!).refreshedAt).toBeGreaterThan(Date.now() - 60_000);
    expect(await t.deps.redis.main.ttl(key)).toBeGreaterThan(23 * 3600);
    const after = await request(t.app).get(`/api/users/${account.id}`).set('Cookie', cookie).expect(200);
    expect(after.headers['set-cookie']).toBeUndefined();
  });

  it('however busy, a session ends 30 days after its login, on every path', async () => {
    const account = await crew();
    const login = await request(t.app).post('/api/auth/login').send({ email: account.email, password: ACCOUNT_PASSWORD }).expect(200);
    const cookie = cookieOf(login)!;
    const key = `${prefix()}sess:${sessionIdOf(login.headers['set-cookie'])}`;
    const state = JSON.parse((await t.deps.redis.main.hget(key, 'state'))!);
    const age = async (days: number) =>
      t.deps.redis.main.hset(key, 'state', JSON.stringify({ ...state, loginAt: Date.now() - days * 86_400_000, refreshedAt: Date.now() }));
    await age(29.9);
    await request(t.app).get('/api/auth/me').set('Cookie', cookie).expect(200);
    await age(30.1);
    await request(t.app).get('/api/auth/me').set('Cookie', cookie).expect(401);
    await request(t.app).post('/api/auth/logout').set('Cookie', cookie).expect(401);
  });
});

describe('revocation', () => {
  it('deactivating a user makes their open sessions 401 on the next request', async () => {
    const admin = await makeAccount(t.deps.database.db, 'admin');
    const account = await crew();
    const [phone, laptop] = await Promise.all([signIn(t.app, account), signIn(t.app, account)]);
    await phone.get('/api/auth/me').expect(200);
    expect(await t.deps.redis.main.zcard(indexKey(account.id))).toBe(2);
    const adminAgent = await signIn(t.app, admin);
    await adminAgent.delete(`/api/users/${account.id}`).expect(204);
    await phone.get('/api/auth/me').expect(401);
    await laptop.get(`/api/users/${account.id}`).expect(401);
    expect(await t.deps.redis.main.exists(indexKey(account.id))).toBe(0);
  });

  it('a session indexed the earlier way (a plain set at sessidx:<id>) is revoked too', async () => {
    const admin = await signIn(t.app, await makeAccount(t.deps.database.db, 'admin'));
    const account = await crew();
    const agent = await signIn(t.app, account);
    const sid = (await new RedisSessionStore(t.deps.redis.main, prefix(), 86_400).sessionsOf(account.id))[0]!;
    // As an instance of the earlier release would have left it.
    await t.deps.redis.main.del(indexKey(account.id));
    await t.deps.redis.main.sadd(`${prefix()}sessidx:${account.id}`, sid);
    await t.deps.redis.main.expire(`${prefix()}sessidx:${account.id}`, 3_600);
    await agent.get('/api/auth/me').expect(200);
    await admin.delete(`/api/users/${account.id}`).expect(204);
    await agent.get('/api/locations').expect(401);
    expect(await sessionExists(sid)).toBe(false);
  });

  it('a password change keeps the current session and ends the others', async () => {
    const account = await crew();
    const [current, other] = await Promise.all([signIn(t.app, account), signIn(t.app, account)]);
    const newPassword = 'a brand new long password';
    const before = AuthResponse.parse((await current.get('/api/auth/me').expect(200)).body).user;
    await current.post('/api/auth/password').send({ currentPassword: ACCOUNT_PASSWORD, newPassword }).expect(204);
    // The profile comes through the cache: the change must not leave the old copy there.
    const after = AuthResponse.parse((await current.get('/api/auth/me').expect(200)).body).user;
    expect(Date.parse(after.updatedAt)).toBeGreaterThan(Date.parse(before.updatedAt));
    await other.get('/api/auth/me').expect(401);
    await request(t.app).post('/api/auth/login').send({ email: account.email, password: ACCOUNT_PASSWORD }).expect(401);
    await request(t.app).post('/api/auth/login').send({ email: account.email, password: newPassword }).expect(200);
  });

  it('a wrong current password is a 400 naming the field, and changes nothing', async () => {
    const account = await crew();
    const agent = await signIn(t.app, account);
    const res = await agent.post('/api/auth/password').send({ currentPassword: 'wrong wrong wrong', newPassword: 'another long password' }).expect(400);
    expect(res.body.errors).toEqual([{ path: 'currentPassword', message: expect.any(String) }]);
    await signIn(t.app, account);
  });

  it('a role change applies on the next request without signing in again', async () => {
    const admin = await signIn(t.app, await makeAccount(t.deps.database.db, 'admin'));
    const account = await crew();
    const agent = await signIn(t.app, account);
    await agent.get('/api/users').expect(403);
    await admin.patch(`/api/users/${account.id}`).send({ role: 'manager' }).expect(200);
    await agent.get('/api/users').expect(200);
  });

  it('a role change sent again after its sessions failed to update still updates them', async () => {
    const admin = await signIn(t.app, await makeAccount(t.deps.database.db, 'admin'));
    const account = await makeAccount(t.deps.database.db, 'manager', [locationId]);
    const agent = await signIn(t.app, account);
    // The first attempt saved the role and then failed on Redis (503): Postgres has it, the session not.
    await t.deps.database.db.update(users).set({ role: 'crew' }).where(eq(users.id, account.id));
    await t.deps.cache.invalidate([{ namespace: 'user', id: account.id }]);
    await agent.get('/api/users').expect(200);
    await admin.patch(`/api/users/${account.id}`).send({ role: 'crew' }).expect(200);
    await agent.get('/api/users').expect(403);
  });

  it('the ids of expired sessions leave the user’s index as new sessions come', async () => {
    const account = await crew();
    const store = new RedisSessionStore(t.deps.redis.main, prefix(), 86_400);
    const session = (maxAge: number) => ({ cookie: { maxAge }, userId: account.id, role: 'crew', locationIds: [locationId], loginAt: 0, refreshedAt: 0 }) as unknown as SessionData;
    await store.insert('short-lived-1', session(1_000));
    await store.insert('short-lived-2', session(1_000));
    // Until Redis has expired both (their index entries expire no later than they do).
    // One EXISTS per key: on a Redis Cluster the two keys are in different slots.
    const stillThere = async () => (await Promise.all(['short-lived-1', 'short-lived-2'].map((sid) => t.deps.redis.main.exists(store.sessionKey(sid))))).reduce((a, b) => a + b, 0);
    for (const deadline = Date.now() + 5_000; (await stillThere()) > 0 && Date.now() < deadline; ) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await stillThere()).toBe(0);
    await store.insert('long-lived', session(60_000));
    expect(await store.sessionsOf(account.id)).toEqual(['long-lived']);
    const ttl = await t.deps.redis.main.pttl(store.indexKey(account.id));
    expect(ttl).toBeGreaterThan(55_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });
});

describe('with secure cookies (production)', () => {
  let secure: TestApp;
  beforeAll(async () => {
    secure = await createTestApp({ COOKIE_SECURE: 'true', TRUST_PROXY: '1' });
  });
  afterAll(() => secure.close());

  it('a login over plain http is refused with a reason, instead of a session whose cookie never comes back', async () => {
    const account = await makeAccount(secure.deps.database.db, 'crew');
    const res = await request(secure.app).post('/api/auth/login').send({ email: account.email, password: ACCOUNT_PASSWORD });
    expect(res.status).toBe(403);
    expect(res.body.detail).toMatch(/https/);
    expect(res.headers['set-cookie']).toBeUndefined();
    expect(await createSessions(secure.deps.config, secure.deps.redis.main).store.sessionsOf(account.id)).toEqual([]);
  });

  it('over https (as the trusted proxy says) it signs in with Secure session and device cookies', async () => {
    const account = await makeAccount(secure.deps.database.db, 'crew');
    const res = await request(secure.app).post('/api/auth/login').set('X-Forwarded-Proto', 'https').send({ email: account.email, password: ACCOUNT_PASSWORD }).expect(200);
    const cookies = res.headers['set-cookie'] as unknown as string[];
    expect(cookies.map((c) => c.split('=')[0]).sort()).toEqual(['crewplots.dev', 'crewplots.sid']);
    for (const cookie of cookies) expect(cookie).toMatch(/; Secure/);
  });
});

describe('a password change when Redis fails', () => {
  it('keeps the old password if the other sessions cannot be ended, so the request can be sent again', async () => {
    const account = await crew();
    const failing = { revokeUser: () => Promise.reject(new Error('Connection is closed.')) } as unknown as RedisSessionStore;
    const { writes } = createWrites(t.deps);
    const users = createUsersService({ repo: createUsersRepository(t.deps.database.db), cache: t.deps.cache, sessions: failing, logger: testLogger(), writes, links: createAccountsRepository(t.deps.database.db) });
    await expect(users.setOwnPassword(account.id, 'a hash that must not be stored', 'sid')).rejects.toThrow();
    await signIn(t.app, account);
  });
});

describe('one browser, many concurrent requests', () => {
  it('20 concurrent requests, some of them extending the session, never lose or mix it', async () => {
    const [alice, bob] = await Promise.all([crew(), crew()]);
    const [a, b] = await Promise.all([signIn(t.app, alice), signIn(t.app, bob)]);
    const sidA = sessionIdOf((await a.post('/api/auth/login').send({ email: alice.email, password: ACCOUNT_PASSWORD })).headers['set-cookie'])!;
    const age = async (sid: string) => {
      // Make the session look half a day old, so every request in the burst decides to extend it.
      const key = `${prefix()}sess:${sid}`;
      const state = JSON.parse((await t.deps.redis.main.hget(key, 'state'))!);
      await t.deps.redis.main.hset(key, 'state', JSON.stringify({ ...state, refreshedAt: Date.now() - 13 * 3600_000 }));
    };
    await age(sidA);

    const burst = Array.from({ length: 20 }, (_, i) =>
      i % 2 === 0 ? a.get('/api/auth/me').then((r) => ['a', r] as const) : b.get(`/api/users/${bob.id}`).then((r) => ['b', r] as const),
    );
    for (const [who, res] of await Promise.all(burst)) {
      expect(res.status).toBe(200);
      const id = who === 'a' ? res.body.user.id : res.body.id;
      expect(id).toBe(who === 'a' ? alice.id : bob.id);
    }
    const stored = await t.deps.redis.main.hgetall(`${prefix()}sess:${sidA}`);
    expect(JSON.parse(stored.access!)).toEqual({ userId: alice.id, role: 'crew', locationIds: [locationId] });
    expect(JSON.parse(stored.state!).refreshedAt).toBeGreaterThan(Date.now() - 60_000);
    await a.get('/api/auth/me').expect(200);
  });

  it('a request in flight when its session is revoked cannot bring the session back', async () => {
    const account = await crew();
    const login = await request(t.app).post('/api/auth/login').send({ email: account.email, password: ACCOUNT_PASSWORD });
    const sid = sessionIdOf(login.headers['set-cookie'])!;
    const key = `${prefix()}sess:${sid}`;
    const loaded = await t.deps.redis.main.hgetall(key);
    await t.deps.redis.main.del(key);
    // A save of the copy it loaded earlier, as express-session would do at the end of that request.
    const sess = { ...JSON.parse(loaded.state!), ...JSON.parse(loaded.access!) };
    const store = new RedisSessionStore(t.deps.redis.main, prefix(), 86_400);
    await new Promise<void>((resolve, reject) => store.set(sid, sess, (err) => (err ? reject(err) : resolve())));
    expect(await t.deps.redis.main.exists(key)).toBe(0);
  });
});

describe('a login racing a change to the account', () => {
  const sessions = () => createSessions(t.deps.config, t.deps.redis.main);
  const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const ROUNDS = 16;
  /** How long `run` takes here, the longer of two tries: the span the races below are spread over. */
  async function timeOf(run: () => Promise<unknown>): Promise<number> {
    let longest = 0;
    for (let i = 0; i < 2; i++) {
      const started = Date.now();
      await run();
      longest = Math.max(longest, Date.now() - started);
    }
    return longest;
  }
  const login = (account: Account) => request(t.app).post('/api/auth/login').send({ email: account.email, password: ACCOUNT_PASSWORD });

  it('a deactivation, whichever lands first, leaves the user no session and the login no cookie', async () => {
    const venue = await insertLocation(t.deps.database.db);
    const admin = await signIn(t.app, await makeAccount(t.deps.database.db, 'admin'));
    const probe = await makeAccount(t.deps.database.db, 'crew', [venue.id]);
    // The rounds move from the deactivation sent half a span before the login (surely first, also
    // on a busy machine) to well after the login's end, through every overlap between.
    const span = 3 * (await timeOf(() => login(probe).expect(200)));
    const orders = new Set<string>();
    for (let round = 0; round < ROUNDS; round++) {
      const account = await makeAccount(t.deps.database.db, 'crew', [venue.id]);
      const offset = -span / 2 + (round * (span * 1.5)) / (ROUNDS - 1);
      const [res] = await Promise.all([
        pause(Math.max(0, -offset)).then(() => login(account)),
        pause(Math.max(0, offset)).then(() => admin.delete(`/api/users/${account.id}`).expect(204)),
      ]);
      const cookie = cookieOf(res);
      expect({ round, status: res.status, cookie: res.status === 200 || cookie === undefined }).toEqual({ round, status: res.status, cookie: true });
      expect([200, 401]).toContain(res.status);
      orders.add(res.status === 200 ? 'login first' : 'deactivation first');
      // Not /auth/me, which looks the user up: a route that trusts the session alone.
      if (cookie) await request(t.app).get('/api/locations').set('Cookie', cookie).expect(401);
      expect(await sessions().store.sessionsOf(account.id)).toEqual([]);
    }
    // Both orders happened, so the checks above held for each.
    expect([...orders].sort()).toEqual(['deactivation first', 'login first']);
  }, 90_000);

  it('a password change, whichever lands first, leaves no session signed in with the old password', async () => {
    const change = (agent: Agent, newPassword: string) =>
      agent.post('/api/auth/password').send({ currentPassword: ACCOUNT_PASSWORD, newPassword }).expect(204);
    // The change hashes twice before it commits, the login once. The rounds move from the change
    // sent a whole change's time after the login (the login surely first) to the login sent well
    // after the change's end (the change surely first), through every overlap between.
    const span = 2 * (await timeOf(async () => change(await signIn(t.app, await crew()), 'the new password of the probe')));
    const orders = new Set<string>();
    for (let round = 0; round < ROUNDS; round++) {
      const account = await crew();
      const changer = await signIn(t.app, account);
      const offset = -span / 2 + (round * (span * 1.5)) / (ROUNDS - 1);
      const [res] = await Promise.all([
        pause(Math.max(0, offset)).then(() => login(account)),
        pause(Math.max(0, -offset)).then(() => change(changer, 'the new password of the round')),
      ]);
      expect([200, 401]).toContain(res.status);
      orders.add(res.status === 200 ? 'login first' : 'change first');
      const cookie = cookieOf(res);
      if (cookie) await request(t.app).get('/api/locations').set('Cookie', cookie).expect(401);
      // The changer's own session is the only one left.
      expect(await sessions().store.sessionsOf(account.id)).toHaveLength(1);
    }
    expect([...orders].sort()).toEqual(['change first', 'login first']);
  }, 90_000);

  /**
   * A login of a manager through `establish` alone, whose second look answers with `confirm`'s
   * access; the role its session then holds in Redis.
   */
  async function roleAfterLogin(userId: number, confirm: () => Promise<SessionAccess>) {
    const { optionalSession, establish } = sessions();
    const app = express();
    app.use(optionalSession);
    app.post('/login', async (req, res) => {
      await establish(req, { userId, role: 'manager', locationIds: [locationId] }, confirm);
      res.sendStatus(204);
    });
    const sid = sessionIdOf((await request(app).post('/login').expect(204)).headers['set-cookie'])!;
    return (JSON.parse((await t.deps.redis.main.hget(`${prefix()}sess:${sid}`, 'access'))!) as SessionAccess).role;
  }

  it('a role the login did not see is the one its session carries', async () => {
    const account = await makeAccount(t.deps.database.db, 'manager', [locationId]);
    // As if an admin's change committed between the password check and the session's creation.
    expect(await roleAfterLogin(account.id, async () => ({ userId: account.id, role: 'crew', locationIds: [locationId] }))).toBe('crew');
  });

  it('a role change that reaches the new session before the login’s second look is not undone by it', async () => {
    const account = await makeAccount(t.deps.database.db, 'manager', [locationId]);
    // The second look read 'crew'; a later change then made them admin and rewrote the session.
    const confirm = async () => {
      await sessions().store.updateAccess({ userId: account.id, role: 'admin', locationIds: [locationId] });
      return { userId: account.id, role: 'crew' as const, locationIds: [locationId] };
    };
    expect(await roleAfterLogin(account.id, confirm)).toBe('admin');
  });
});

describe('cross-site requests', () => {
  /** A location name no other test or run uses, and whether Postgres holds a location of that name. */
  const uniqueName = (what: string) => `${what} ${randomBytes(4).toString('hex')}`;
  const stored = async (name: string) => (await t.deps.database.db.select().from(locations).where(eq(locations.name, name))).length > 0;
  let proxied: TestApp;
  beforeAll(async () => {
    proxied = await createTestApp({ APP_ORIGINS: 'https://planner.example', TRUST_PROXY: '1' });
  });
  afterAll(() => proxied.close());

  it('a foreign Origin POST with a valid cookie is 403 and writes nothing', async () => {
    const admin = await signIn(t.app, await makeAccount(t.deps.database.db, 'admin'));
    const name = uniqueName('Evil Bar');
    const res = await admin.post('/api/locations').set('Origin', 'https://evil.example').send({ name, timezone: 'UTC' });
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('forbidden');
    expect(await stored(name)).toBe(false);
  });

  it('a foreign Referer without Origin is refused too, and so is the own host under another scheme; the own origin is allowed', async () => {
    const admin = await signIn(t.app, await makeAccount(t.deps.database.db, 'admin'));
    const host = '127.0.0.1:5000';
    const [viaReferer, viaHttps, same] = [uniqueName('Referer Bar'), uniqueName('Scheme Bar'), uniqueName('Same Origin Bar')];
    await admin.post('/api/locations').set('Referer', 'https://evil.example/page').send({ name: viaReferer, timezone: 'UTC' }).expect(403);
    await admin.post('/api/locations').set('Host', host).set('Origin', `https://${host}`).send({ name: viaHttps, timezone: 'UTC' }).expect(403);
    await admin.post('/api/locations').set('Host', host).set('Origin', `http://${host}`).send({ name: same, timezone: 'UTC' }).expect(201);
    expect([await stored(viaReferer), await stored(viaHttps), await stored(same)]).toEqual([false, false, true]);
  });

  it('behind a trusted proxy the origin is the one the proxy was asked for; APP_ORIGINS are allowed too', async () => {
    const admin = await signIn(proxied.app, await makeAccount(proxied.deps.database.db, 'admin'));
    const viaProxy = (origin: string, name: string) =>
      admin.post('/api/locations').set('Host', 'crew.example').set('X-Forwarded-Proto', 'https').set('Origin', origin).send({ name, timezone: 'UTC' });
    await viaProxy('https://crew.example', uniqueName('Proxied Bar')).expect(201);
    await viaProxy('https://planner.example', uniqueName('Planner Bar')).expect(201);
    const plain = uniqueName('Plain Origin Bar');
    await viaProxy('http://crew.example', plain).expect(403);
    expect(await stored(plain)).toBe(false);
  });

  it('a form-encoded or text/plain body is 415 and writes nothing', async () => {
    const admin = await signIn(t.app, await makeAccount(t.deps.database.db, 'admin'));
    const [form, plain] = [uniqueName('Form Bar'), uniqueName('Plain Bar')];
    await admin.post('/api/locations').type('form').send(`name=${encodeURIComponent(form)}&timezone=UTC`).expect(415);
    await admin.post('/api/locations').set('Content-Type', 'text/plain').send(JSON.stringify({ name: plain, timezone: 'UTC' })).expect(415);
    expect([await stored(form), await stored(plain)]).toEqual([false, false]);
  });
});

describe('when Redis is down', () => {
  let redis: PrivateRedis;
  let down: TestApp;
  beforeAll(async () => {
    redis = await startPrivateRedis();
    down = await createTestApp({ REDIS_PORT: String(redis.port) });
  });
  afterAll(async () => {
    await down.close();
    await redis.destroy();
  });

  it('requests needing a session get 503 with Retry-After within about a second, and recover by themselves', async () => {
    const account = await makeAccount(down.deps.database.db, 'crew');
    const agent = await signIn(down.app, account);
    await redis.stop();
    const started = Date.now();
    const res = await agent.get('/api/auth/me');
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('1');
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.code).toBe('service_unavailable');
    // Login's own Redis calls (attempt counters, the new session) are bounded too. (Looser than
    // the read above: ioredis's own limit, twice the bound, is what a loaded machine may reach.)
    const loginStarted = Date.now();
    const login = await request(down.app).post('/api/auth/login').send({ email: account.email, password: ACCOUNT_PASSWORD });
    expect(Date.now() - loginStarted).toBeLessThan(2_000);
    expect(login.status).toBe(503);

    await redis.start();
    // The private Redis keeps nothing on disk: the old session is gone, a new login works.
    const deadline = Date.now() + 5_000;
    let status = 0;
    while (Date.now() < deadline && status !== 200) {
      status = (await request(down.app).post('/api/auth/login').send({ email: account.email, password: ACCOUNT_PASSWORD })).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe(200);
  });
});

describe('when Redis is slow', () => {
  let redis: PrivateRedis;
  let slow: TestApp;
  beforeAll(async () => {
    redis = await startPrivateRedis();
    slow = await createTestApp({ REDIS_PORT: String(redis.port) });
  });
  afterAll(async () => {
    await slow.close();
    await redis.destroy();
  });

  it('a session read that times out answers 503 and leaves the session as it was', async () => {
    const account = await makeAccount(slow.deps.database.db, 'crew');
    const agent = await signIn(slow.app, account);
    const admin = new Redis({ port: redis.port, host: '127.0.0.1' });
    try {
      // Every client's commands wait 0.8 s: longer than a request waits on Redis (0.5 s), short
      // enough that whatever the failed request does afterwards reaches Redis.
      await admin.client('PAUSE', 800, 'ALL');
      const res = await agent.get('/api/auth/me');
      expect(res.status).toBe(503);
      // Redis answers a connection's commands in order: once this PING on the server's own
      // connection is answered, the pause is over and whatever the failed request sent is done.
      await slow.deps.redis.main.ping();
      await agent.get('/api/auth/me').expect(200);
    } finally {
      admin.disconnect();
    }
  });
});

