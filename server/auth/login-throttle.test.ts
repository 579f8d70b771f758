import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { createApiTestApp } from '../../test/support/api.js';
import { ACCOUNT_PASSWORD, makeAccount, type Account } from '../../test/support/accounts.js';
import type { TestApp } from '../../test/support/test-app.js';
import { DEVICE_COOKIE } from './device-cookie.js';

/**
 * Login throttling as API.md (Conventions, rate limits) says, from both sides: what an attacker
 * can no longer do, and what the account's owner can still do. The app trusts the loopback proxy,
 * so each test names its own client addresses in X-Forwarded-For and no two tests share a
 * per-address counter.
 */

const SECRET_A = 'first-session-secret-of-at-least-32-chars';
const SECRET_B = 'second-session-secret-of-at-least-32-chars';

let t: TestApp;
beforeAll(async () => {
  t = await createApiTestApp('throttle', { TRUST_PROXY: 'loopback', SESSION_SECRET: SECRET_A });
});
afterAll(() => t.close());

let nextNetwork = 0;
/** A client address no other test uses. */
const freshAddress = () => `10.${Math.floor(++nextNetwork / 250)}.${nextNetwork % 250}.1`;
const WRONG = 'not the password at all';

interface From {
  address: string;
  /** The `crewplots.dev=…` pair the browser holds, if any. */
  device?: string;
  app?: TestApp;
}

/** A login request from that client, before its body. */
function loginFrom(from: From) {
  const req = request((from.app ?? t).app).post('/api/auth/login').set('X-Forwarded-For', from.address);
  if (from.device) req.set('Cookie', from.device);
  return req;
}

const login = (email: string, password: string, from: From) => loginFrom(from).send({ email, password });

const deviceCookieOf = (res: request.Response) =>
  (res.headers['set-cookie'] as unknown as string[] | undefined)?.find((c) => c.startsWith(`${DEVICE_COOKIE}=`));
const devicePairOf = (res: request.Response) => deviceCookieOf(res)?.split(';')[0];

/** The owner signs in once from their own browser and keeps its device cookie. */
async function ownerDevice(account: Account, app = t): Promise<string> {
  const res = await login(account.email, ACCOUNT_PASSWORD, { address: freshAddress(), app }).expect(200);
  const pair = devicePairOf(res);
  expect(pair).toMatch(/^crewplots\.dev=/);
  return pair!;
}

const crew = () => makeAccount(t.deps.database.db, 'crew');

async function passwordChecks(app = t): Promise<number> {
  const metric = await app.deps.metrics.registry.getSingleMetric('crewplots_password_checks_total')?.get();
  return (metric?.values ?? []).reduce((n, v) => n + v.value, 0);
}

describe('the device cookie', () => {
  it('is set by a successful login: signed, HttpOnly, SameSite=Strict, sent back to the login route only, long-lived', async () => {
    const account = await crew();
    const res = await login(account.email, ACCOUNT_PASSWORD, { address: freshAddress() }).expect(200);
    const cookie = deviceCookieOf(res)!;
    expect(cookie).toMatch(new RegExp(`^crewplots\\.dev=${account.id}\\.[A-Za-z0-9_-]{22}\\.\\d+\\.`));
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Strict/);
    expect(cookie).toMatch(/; Path=\/api\/auth\/login/);
    const maxAge = Number(/Max-Age=(\d+)/.exec(cookie)?.[1]);
    expect(maxAge).toBeGreaterThanOrEqual(180 * 86_400);
    expect(maxAge).toBeLessThanOrEqual(400 * 86_400);
  });

  it('is not set by a failed login', async () => {
    const account = await crew();
    const res = await login(account.email, WRONG, { address: freshAddress() }).expect(401);
    expect(deviceCookieOf(res)).toBeUndefined();
  });

  it('is re-issued for the same device when it signs in again', async () => {
    const account = await crew();
    const device = await ownerDevice(account);
    const again = devicePairOf(await login(account.email, ACCOUNT_PASSWORD, { address: freshAddress(), device }).expect(200))!;
    const idOf = (pair: string) => decodeURIComponent(pair).split('.')[2];
    expect(idOf(again)).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(idOf(again)).toBe(idOf(device));
  });
});

describe('an attacker guessing one account (per-account limit, untrusted browsers)', () => {
  it('gets five tries, then 429 with Retry-After; correct passwords from untrusted browsers wait too', async () => {
    const account = await crew();
    const attacker = { address: freshAddress() };
    for (let i = 0; i < 5; i++) await login(account.email, WRONG, attacker).expect(401);
    const refused = await login(account.email, WRONG, attacker).expect(429);
    expect(refused.body).toMatchObject({ code: 'rate_limited', status: 429 });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(800);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(900);
    // From elsewhere, without the owner's device cookie: the account is locked for untrusted browsers.
    await login(account.email, ACCOUNT_PASSWORD, { address: freshAddress() }).expect(429);
  });

  it("cannot lock the owner out: the owner's browser, with its device cookie, signs in while the account is locked", async () => {
    const account = await crew();
    const device = await ownerDevice(account);
    const attacker = { address: freshAddress() };
    for (let i = 0; i < 5; i++) await login(account.email, WRONG, attacker).expect(401);
    await login(account.email, WRONG, attacker).expect(429);
    await login(account.email, ACCOUNT_PASSWORD, { address: freshAddress() }).expect(429);

    const owner = await login(account.email, ACCOUNT_PASSWORD, { address: freshAddress(), device }).expect(200);
    expect(owner.body.user).toMatchObject({ id: account.id });
    // The owner's login does not unlock the account for the attacker.
    await login(account.email, WRONG, attacker).expect(429);
  });

  it("gains nothing from a device cookie of another account (the attacker's own): it is an untrusted browser", async () => {
    const victim = await crew();
    const own = await crew();
    const attacker = { address: freshAddress(), device: await ownerDevice(own) };
    for (let i = 0; i < 5; i++) await login(victim.email, WRONG, attacker).expect(401);
    await login(victim.email, WRONG, attacker).expect(429);
  });

  it('gains nothing from a tampered device cookie', async () => {
    const victim = await crew();
    const own = await crew();
    const [, id, issued, signature] = decodeURIComponent(await ownerDevice(own)).split('.');
    const forged = `${DEVICE_COOKIE}=${encodeURIComponent(`${victim.id}.${id}.${issued}.${signature}`)}`;
    const attacker = { address: freshAddress(), device: forged };
    for (let i = 0; i < 5; i++) await login(victim.email, WRONG, attacker).expect(401);
    await login(victim.email, WRONG, attacker).expect(429);
  });

  it('spends no password hash on a refused attempt', async () => {
    const account = await crew();
    const attacker = { address: freshAddress() };
    const before = await passwordChecks();
    for (let i = 0; i < 5; i++) await login(account.email, WRONG, attacker).expect(401);
    expect(await passwordChecks()).toBe(before + 5);
    for (let i = 0; i < 20; i++) {
      const res = await login(account.email, i % 2 ? WRONG : ACCOUNT_PASSWORD, attacker).expect(429);
      expect(res.headers['retry-after']).toMatch(/^\d+$/);
    }
    expect(await passwordChecks()).toBe(before + 5);
  });

  it('cannot slip past the limit with concurrent guesses', async () => {
    const account = await crew();
    const answers = await Promise.all(Array.from({ length: 12 }, () => login(account.email, WRONG, { address: freshAddress() })));
    expect(answers.filter((r) => r.status === 401)).toHaveLength(5);
    expect(answers.filter((r) => r.status === 429)).toHaveLength(7);
  });
});

describe("a browser guessing with a device cookie (per-device limit)", () => {
  it('locks that device after five failures, not the account: the owner elsewhere still signs in', async () => {
    const account = await crew();
    const device = await ownerDevice(account);
    const from = { address: freshAddress(), device };
    for (let i = 0; i < 5; i++) await login(account.email, WRONG, from).expect(401);
    const refused = await login(account.email, ACCOUNT_PASSWORD, from).expect(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(800);
    // Those failures did not count against the account or the address.
    await login(account.email, ACCOUNT_PASSWORD, { address: from.address }).expect(200);
    await login(account.email, ACCOUNT_PASSWORD, { address: freshAddress(), device: await ownerDevice(account) }).expect(200);
  });
});

describe("a venue's shared address (per-address limit)", () => {
  it('after 50 failures refuses untrusted browsers there, but not owners with their device cookies', async () => {
    const venue = freshAddress();
    const owner = await crew();
    const device = await ownerDevice(owner);
    const stranger = await crew();
    // 50 failures spread over ten accounts (five each, under each account's own limit).
    const guessed = await Promise.all(Array.from({ length: 10 }, () => crew()));
    for (const account of guessed) {
      await Promise.all(Array.from({ length: 5 }, () => login(account.email, WRONG, { address: venue }).expect(401)));
    }
    // A correct login from an untrusted browser there is refused, and costs no hash.
    const before = await passwordChecks();
    const refused = await login(stranger.email, ACCOUNT_PASSWORD, { address: venue }).expect(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(await passwordChecks()).toBe(before);
    // The owner, at the same address with their device cookie, signs in.
    await login(owner.email, ACCOUNT_PASSWORD, { address: venue, device }).expect(200);
    // The same stranger from another address is fine: it was the address, not the account.
    await login(stranger.email, ACCOUNT_PASSWORD, { address: freshAddress() }).expect(200);
  }, 60_000);

  it('counts an IPv6 client by its /64', async () => {
    const account = await crew();
    const other = await crew();
    const net = `2001:db8:${(++nextNetwork).toString(16)}:1`;
    // 50 failures over ten accounts, each from another address of one /64.
    const guessed = await Promise.all(Array.from({ length: 10 }, () => crew()));
    let host = 0;
    for (const victim of guessed) {
      for (let i = 0; i < 5; i++) await login(victim.email, WRONG, { address: `${net}::${(++host).toString(16)}` }).expect(401);
    }
    await login(account.email, ACCOUNT_PASSWORD, { address: `${net}::ffff` }).expect(429);
    await login(other.email, ACCOUNT_PASSWORD, { address: `2001:db8:${(++nextNetwork).toString(16)}:1::1` }).expect(200);
  }, 60_000);
});

describe('correct logins at once', () => {
  it('ten parallel correct logins from one untrusted browser all succeed', async () => {
    const account = await crew();
    const from = { address: freshAddress() };
    const answers = await Promise.all(Array.from({ length: 10 }, () => login(account.email, ACCOUNT_PASSWORD, from)));
    expect(answers.map((r) => r.status)).toEqual(Array(10).fill(200));
  });

  it('ten parallel correct logins from one device all succeed', async () => {
    const account = await crew();
    const from = { address: freshAddress(), device: await ownerDevice(account) };
    const answers = await Promise.all(Array.from({ length: 10 }, () => login(account.email, ACCOUNT_PASSWORD, from)));
    expect(answers.map((r) => r.status)).toEqual(Array(10).fill(200));
  });

  it('a correct login clears the failures of the counter it was let in by', async () => {
    const account = await crew();
    const from = { address: freshAddress() };
    for (let i = 0; i < 4; i++) await login(account.email, WRONG, from).expect(401);
    await login(account.email, ACCOUNT_PASSWORD, from).expect(200);
    for (let i = 0; i < 5; i++) await login(account.email, WRONG, from).expect(401);
    await login(account.email, WRONG, from).expect(429);
  });
});

describe('a login body over 4 KB', () => {
  it('is a 413 before anything is parsed or counted', async () => {
    const account = await crew();
    const from = { address: freshAddress() };
    const before = await passwordChecks();
    const big = JSON.stringify({ email: account.email, password: WRONG, padding: 'x'.repeat(4 * 1024) });
    for (let i = 0; i < 60; i++) {
      const res = await loginFrom(from).set('Content-Type', 'application/json').send(big);
      expect(res.status).toBe(413);
      expect(res.body).toMatchObject({ code: 'payload_too_large', detail: expect.stringMatching(/4 KB/) });
    }
    expect(await passwordChecks()).toBe(before);
    // Sixty of them counted against neither the account (5) nor the address (50).
    await login(account.email, ACCOUNT_PASSWORD, from).expect(200);
  });

  it('is a 413 when it comes without a length (chunked)', async () => {
    const server = t.app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const status = await new Promise<number>((resolve, reject) => {
        const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/api/auth/login', headers: { 'content-type': 'application/json', 'x-forwarded-for': freshAddress() } });
        req.on('response', (res) => {
          res.resume();
          resolve(res.statusCode!);
        });
        req.on('error', reject);
        req.write(`{"email":"someone@test.crewplots.example","password":"${'x'.repeat(3000)}`);
        req.end(`${'y'.repeat(3000)}"}`);
      });
      expect(status).toBe(413);
    } finally {
      server.close();
    }
  });

  it('a body just under 4 KB is read as usual', async () => {
    const account = await crew();
    const body = JSON.stringify({ email: account.email, password: 'p'.repeat(256) });
    const res = await loginFrom({ address: freshAddress() }).set('Content-Type', 'application/json').send(body.padEnd(4000, ' '));
    expect(res.status).toBe(401);
  });
});

describe('the device cookie and SESSION_SECRET rotation', () => {
  let rotated: TestApp;
  let replaced: TestApp;
  beforeAll(async () => {
    const prefix = t.deps.config.redis.prefix;
    [rotated, replaced] = await Promise.all([
      createApiTestApp('throttle-rotated', { TRUST_PROXY: 'loopback', SESSION_SECRET: `${SECRET_B},${SECRET_A}`, REDIS_PREFIX: prefix }),
      createApiTestApp('throttle-replaced', { TRUST_PROXY: 'loopback', SESSION_SECRET: SECRET_B, REDIS_PREFIX: prefix }),
    ]);
  });
  afterAll(() => Promise.all([rotated.close(), replaced.close()]));

  it('a cookie signed with an older secret still in the list is trusted; once the secret is dropped it is not', async () => {
    const account = await crew();
    const device = await ownerDevice(account); // signed with SECRET_A
    const attacker = { address: freshAddress() };
    for (let i = 0; i < 5; i++) await login(account.email, WRONG, attacker).expect(401);
    await login(account.email, ACCOUNT_PASSWORD, { address: freshAddress(), app: replaced, device }).expect(429);
    const res = await login(account.email, ACCOUNT_PASSWORD, { address: freshAddress(), app: rotated, device }).expect(200);
    // Re-issued under the first secret, for the same device.
    const again = devicePairOf(res)!;
    expect(decodeURIComponent(again).split('.')[2]).toBe(decodeURIComponent(device).split('.')[2]);
    await login(account.email, ACCOUNT_PASSWORD, { address: freshAddress(), app: replaced, device: again }).expect(200);
  });
});

describe('password change', () => {
  it('allows five wrong current passwords per 15 minutes, then 429 even for the right one; its own session keeps working', async () => {
    const account = await crew();
    const agent = request.agent(t.app);
    await agent.post('/api/auth/login').set('X-Forwarded-For', freshAddress()).send({ email: account.email, password: ACCOUNT_PASSWORD }).expect(200);
    const before = await passwordChecks();
    for (let i = 0; i < 5; i++) await agent.post('/api/auth/password').send({ currentPassword: WRONG, newPassword: 'a brand new long password' }).expect(400);
    const refused = await agent.post('/api/auth/password').send({ currentPassword: ACCOUNT_PASSWORD, newPassword: 'a brand new long password' }).expect(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(800);
    expect(await passwordChecks()).toBe(before + 5);
    await agent.get('/api/auth/me').expect(200);
  });

  it('a right current password after some wrong ones changes it and clears the count', async () => {
    const account = await crew();
    const agent = request.agent(t.app);
    await agent.post('/api/auth/login').set('X-Forwarded-For', freshAddress()).send({ email: account.email, password: ACCOUNT_PASSWORD }).expect(200);
    for (let i = 0; i < 4; i++) await agent.post('/api/auth/password').send({ currentPassword: WRONG, newPassword: 'a brand new long password' }).expect(400);
    await agent.post('/api/auth/password').send({ currentPassword: ACCOUNT_PASSWORD, newPassword: 'a brand new long password' }).expect(204);
    for (let i = 0; i < 5; i++) await agent.post('/api/auth/password').send({ currentPassword: WRONG, newPassword: 'another new long password' }).expect(400);
    await agent.post('/api/auth/password').send({ currentPassword: WRONG, newPassword: 'another new long password' }).expect(429);
  });
});
