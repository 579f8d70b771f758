import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eq, sql } from 'drizzle-orm';
import pg from 'pg';
import request from 'supertest';
import { accessLinks, locations, schedules, users } from '../db/schema.js';
import { DEMO_DOMAIN } from '../db/seed.js';
import { withFreshDatabase } from '../../test/support/fresh-database.js';
import { logEntries, testLogger } from '../../test/support/logs.js';
import { createApiTestApp, expectProblem, INVALID_IDS, PASSWORD, scenario, type Person, type Scenario } from '../../test/support/api.js';
import { uniqueEmail } from '../../test/support/factories.js';
import { sessionCookieOf } from '../../test/support/accounts.js';
import type { TestApp } from '../../test/support/test-app.js';
import { announceSetup } from './setup.announce.js';

/**
 * First run and one-time links (API.md, "First run and accounts"). The link routes are limited
 * per client address, so every test names its own address in X-Forwarded-For (the app trusts
 * the loopback proxy) and no test spends another's allowance.
 */

const NEW_PASSWORD = 'a password of my own choosing';

let t: TestApp;
let s: Scenario;
beforeAll(async () => {
  t = await createApiTestApp('accounts', { TRUST_PROXY: 'loopback' });
  s = scenario(t);
});
afterAll(() => t.close());

/**
 * Runs `race` while another connection holds `lock` on a table, and lets go only once `waiters`
 * statements of the race are queued behind it: the racers then meet inside their transactions,
 * not one after the other.
 */
async function heldUntilQueued<T>(url: string, table: string, lock: string, waiters: number, race: () => Promise<T>): Promise<T> {
  const holder = new pg.Client({ connectionString: url });
  const watcher = new pg.Client({ connectionString: url });
  await holder.connect();
  await watcher.connect();
  try {
    await holder.query('begin');
    await holder.query(lock);
    const running = race();
    for (;;) {
      const { rows } = await watcher.query<{ n: number }>(
        `select count(*)::int as n from pg_locks l join pg_class c on c.oid = l.relation where c.relname = $1 and not l.granted`,
        [table],
      );
      if (rows[0]!.n >= waiters) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await holder.query('rollback');
    return await running;
  } finally {
    await holder.end();
    await watcher.end();
  }
}

let addressCounter = 0;
/** A client address no other test uses. */
const freshAddress = () => `10.13.${Math.floor(addressCounter / 250)}.${(addressCounter++ % 250) + 1}`;

const tokenOf = (url: string) => new URL(url).searchParams.get('token')!;

/** No log line since the test began holds any of these tokens, except the one setup line that announced it. */
function expectNoTokenInLogs(tokens: readonly string[], allowedLine?: RegExp): void {
  for (const entry of logEntries()) {
    const text = JSON.stringify(entry);
    if (allowedLine && allowedLine.test(String(entry.msg))) continue;
    for (const token of tokens) expect({ line: text, holdsToken: text.includes(token) }).toEqual({ line: text, holdsToken: false });
  }
}

/** Invites a crew member of a fresh location through the API, as an admin. */
async function invite(admin: Person) {
  const home = await s.location();
  const email = uniqueEmail('invited');
  const res = await admin.agent.post('/api/users').send({ email, name: 'Ines Invited', role: 'crew', locationIds: [home.id] });
  expect(res.status).toBe(201);
  return { id: res.body.id as number, email, url: res.body.inviteUrl as string, token: tokenOf(res.body.inviteUrl), home };
}

describe('POST /api/users without a password (an invite)', () => {
  it('creates the person with no password and answers, only there, with a one-time link valid for 7 days', async () => {
    const admin = await s.admin();
    const { id, url, token, email } = await invite(admin);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/welcome\?token=[A-Za-z0-9_-]{43}$/);
    const [link] = await s.db.select().from(accessLinks).where(eq(accessLinks.userId, id));
    expect(link).toMatchObject({ kind: 'invite', spentAt: null });
    // Stored as a hash only.
    expect(JSON.stringify(link)).not.toContain(token);
    const days = (link!.expiresAt.getTime() - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(6.99);
    expect(days).toBeLessThanOrEqual(7);

    const fetched = await admin.agent.get(`/api/users/${id}`).expect(200);
    expect(fetched.body).toMatchObject({ id, email, invitePending: true });
    expect(fetched.text).not.toContain(token);
    const listed = await admin.agent.get('/api/users').query({ q: email }).expect(200);
    expect(listed.body.items).toEqual([expect.objectContaining({ id, invitePending: true })]);
    expect(listed.text).not.toContain(token);
    // Nobody signs in to an account without a password, whatever they type.
    expectProblem(await request(t.app).post('/api/auth/login').set('X-Forwarded-For', freshAddress()).send({ email, password: 'anything at all here' }), 401, 'unauthenticated');
    expectNoTokenInLogs([token]);
  });

  it('lets the invited person choose a password and lands them signed in; the link is then used up', async () => {
    const admin = await s.admin();
    const { id, email, token } = await invite(admin);
    const from = freshAddress();

    const info = await request(t.app).get(`/api/access-links/${token}`).set('X-Forwarded-For', from).expect(200);
    expect(info.body).toEqual({ email, name: 'Ines Invited', kind: 'invite' });
    expect(info.headers['cache-control']).toBe('no-store');

    const browser = request.agent(t.app);
    const used = await browser.post(`/api/access-links/${token}`).set('X-Forwarded-For', from).send({ password: NEW_PASSWORD }).expect(200);
    expect(used.body.user).toMatchObject({ id, email, role: 'crew', invitePending: false });
    expect(sessionCookieOf(used.headers['set-cookie'])).toBeDefined();
    expect(used.text).not.toContain(token);
    expect((await browser.get('/api/auth/me').expect(200)).body.user.id).toBe(id);

    expectProblem(await request(t.app).get(`/api/access-links/${token}`).set('X-Forwarded-For', from), 410, 'gone');
    expectProblem(await request(t.app).post(`/api/access-links/${token}`).set('X-Forwarded-For', from).send({ password: 'yet another password' }), 410, 'gone');
    // The password chosen through the link is the one in force.
    await request(t.app).post('/api/auth/login').set('X-Forwarded-For', from).send({ email, password: NEW_PASSWORD }).expect(200);
    expect((await admin.agent.get(`/api/users/${id}`).expect(200)).body.invitePending).toBe(false);
    expectNoTokenInLogs([token]);
  });

  it('of two uses of one link at once, exactly one sets the password; the other is a 410', async () => {
    const admin = await s.admin();
    const { email, token } = await invite(admin);
    // Both uses are held at the link's row until each has checked the link and hashed its password.
    const answers = await heldUntilQueued(t.deps.config.database.url!, 'access_links', 'lock table access_links in exclusive mode', 2, () =>
      Promise.all(
        ['first of two passwords', 'second of two passwords'].map((password) =>
          request(t.app).post(`/api/access-links/${token}`).set('X-Forwarded-For', freshAddress()).send({ password }),
        ),
      ),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([200, 410]);
    const winner = answers.findIndex((a) => a.status === 200);
    expectProblem(answers[1 - winner]!, 410, 'gone');
    const password = winner === 0 ? 'first of two passwords' : 'second of two passwords';
    const loser = winner === 0 ? 'second of two passwords' : 'first of two passwords';
    await request(t.app).post('/api/auth/login').set('X-Forwarded-For', freshAddress()).send({ email, password }).expect(200);
    expectProblem(await request(t.app).post('/api/auth/login').set('X-Forwarded-For', freshAddress()).send({ email, password: loser }), 401, 'unauthenticated');
  });

  it('refuses a weak or over-long password with a 400 naming the rule, and keeps the link', async () => {
    const admin = await s.admin();
    const { token } = await invite(admin);
    const from = freshAddress();
    for (const [password, rule] of [
      ['short', /at least 12 characters/],
      [' '.repeat(20), /besides spaces/],
      ['x'.repeat(257), /at most 256 characters/],
    ] as const) {
      const problem = expectProblem(await request(t.app).post(`/api/access-links/${token}`).set('X-Forwarded-For', from).send({ password }), 400, 'validation_failed');
      expect(problem.errors).toEqual([expect.objectContaining({ path: 'password', message: expect.stringMatching(rule) })]);
    }
    expectProblem(await request(t.app).post(`/api/access-links/${token}`).set('X-Forwarded-For', from).send({}), 400, 'validation_failed');
    await request(t.app).get(`/api/access-links/${token}`).set('X-Forwarded-For', from).expect(200);
  });
});

describe('POST /api/users/:id/access-link', () => {
  it('gives a person with a password a reset link that ends all their sessions when used', async () => {
    const admin = await s.admin();
    const home = await s.location();
    const crew = await s.crew([home]);
    const created = await admin.agent.post(`/api/users/${crew.id}/access-link`).expect(201);
    expect(created.body).toEqual({ url: expect.stringMatching(/\/welcome\?token=[A-Za-z0-9_-]{43}$/), expiresAt: expect.any(String) });
    const token = tokenOf(created.body.url);
    const from = freshAddress();
    expect((await request(t.app).get(`/api/access-links/${token}`).set('X-Forwarded-For', from).expect(200)).body).toEqual({ email: crew.email, name: crew.name, kind: 'reset' });

    const phone = request.agent(t.app);
    await phone.post(`/api/access-links/${token}`).set('X-Forwarded-For', from).send({ password: NEW_PASSWORD }).expect(200);
    // The session they had before (a lost laptop, say) is over; the new one works.
    expectProblem(await crew.agent.get('/api/auth/me'), 401, 'unauthenticated');
    await phone.get('/api/auth/me').expect(200);
    expectProblem(await request(t.app).post('/api/auth/login').set('X-Forwarded-For', from).send({ email: crew.email, password: PASSWORD }), 401, 'unauthenticated');
    expectNoTokenInLogs([token]);
  });

  it('replaces the previous link: the older one is a 410 from then on', async () => {
    const admin = await s.admin();
    const { id, token: first } = await invite(admin);
    const second = tokenOf((await admin.agent.post(`/api/users/${id}/access-link`).expect(201)).body.url);
    const from = freshAddress();
    expectProblem(await request(t.app).get(`/api/access-links/${first}`).set('X-Forwarded-For', from), 410, 'gone');
    expect((await request(t.app).get(`/api/access-links/${second}`).set('X-Forwarded-For', from).expect(200)).body.kind).toBe('invite');
  });

  it('makes a link that dies after 7 days (410)', async () => {
    const admin = await s.admin();
    const { id, token } = await invite(admin);
    await s.db.update(accessLinks).set({ expiresAt: sql`now() - interval '1 second'` }).where(eq(accessLinks.userId, id));
    const from = freshAddress();
    expectProblem(await request(t.app).get(`/api/access-links/${token}`).set('X-Forwarded-For', from), 410, 'gone');
    expectProblem(await request(t.app).post(`/api/access-links/${token}`).set('X-Forwarded-For', from).send({ password: NEW_PASSWORD }), 410, 'gone');
    expect((await s.db.select({ hash: users.passwordHash }).from(users).where(eq(users.id, id)))[0]!.hash).toBeNull();
  });

  it('makes a link that dies with a password change (410)', async () => {
    const admin = await s.admin();
    const crew = await s.crew([await s.location()]);
    const token = tokenOf((await admin.agent.post(`/api/users/${crew.id}/access-link`).expect(201)).body.url);
    await crew.agent.post('/api/auth/password').send({ currentPassword: PASSWORD, newPassword: NEW_PASSWORD }).expect(204);
    const from = freshAddress();
    expectProblem(await request(t.app).get(`/api/access-links/${token}`).set('X-Forwarded-For', from), 410, 'gone');
    expectProblem(await request(t.app).post(`/api/access-links/${token}`).set('X-Forwarded-For', from).send({ password: 'someone elses password' }), 410, 'gone');
    // An admin setting the password kills a link the same way.
    const again = tokenOf((await admin.agent.post(`/api/users/${crew.id}/access-link`).expect(201)).body.url);
    await admin.agent.patch(`/api/users/${crew.id}`).send({ password: 'set by the admin today' }).expect(200);
    expectProblem(await request(t.app).get(`/api/access-links/${again}`).set('X-Forwarded-For', from), 410, 'gone');
  });

  it('makes a link that dies with a deactivation (410), and refuses a link for a deactivated person (422)', async () => {
    const admin = await s.admin();
    const { id, token } = await invite(admin);
    await admin.agent.delete(`/api/users/${id}`).expect(204);
    expectProblem(await request(t.app).get(`/api/access-links/${token}`).set('X-Forwarded-For', freshAddress()), 410, 'gone');
    expectProblem(await admin.agent.post(`/api/users/${id}/access-link`), 422, 'unprocessable');
  });

  it('is for admins and managers who may edit the person; others get 403, or 404 when they cannot see them', async () => {
    const [home, elsewhere] = [await s.location(), await s.location()];
    const manager = await s.manager([home]);
    const crew = await s.crew([home]);
    const crewOfBoth = await s.crew([home, elsewhere]);
    const stranger = await s.crew([elsewhere]);
    await manager.agent.post(`/api/users/${crew.id}/access-link`).expect(201);
    expectProblem(await manager.agent.post(`/api/users/${crewOfBoth.id}/access-link`), 403, 'forbidden');
    expectProblem(await manager.agent.post(`/api/users/${manager.id}/access-link`), 403, 'forbidden');
    expectProblem(await manager.agent.post(`/api/users/${stranger.id}/access-link`), 404, 'not_found');
    expectProblem(await crew.agent.post(`/api/users/${crew.id}/access-link`), 403, 'forbidden');
    expectProblem(await crew.agent.post(`/api/users/${crewOfBoth.id}/access-link`), 404, 'not_found');
    expectProblem(await request(t.app).post(`/api/users/${crew.id}/access-link`), 401, 'unauthenticated');
    for (const id of INVALID_IDS) expectProblem(await manager.agent.post(`/api/users/${id}/access-link`), 400, 'validation_failed');
  });
});

describe('GET and POST /api/access-links/:token with tokens that do not work', () => {
  it('answers a wrong, malformed or over-long token with the same 404, consuming nothing', async () => {
    const admin = await s.admin();
    const { token } = await invite(admin);
    const from = freshAddress();
    const wrong = [randomBytes(32).toString('base64url'), 'not-a-token', `${token}x`, token.slice(0, 42), 'x'.repeat(3000), '%00', token.toUpperCase()];
    const details = new Set<string>();
    for (const candidate of wrong) {
      const path = `/api/access-links/${encodeURIComponent(candidate)}`;
      details.add(expectProblem(await request(t.app).get(path).set('X-Forwarded-For', from), 404, 'not_found').detail);
      details.add(expectProblem(await request(t.app).post(path).set('X-Forwarded-For', from).send({ password: NEW_PASSWORD }), 404, 'not_found').detail);
    }
    expect(details.size).toBe(1);
    await request(t.app).get(`/api/access-links/${token}`).set('X-Forwarded-For', freshAddress()).expect(200);
  });

  it('limits failures per client address (429 with Retry-After), and another address is not held up', async () => {
    const from = freshAddress();
    const statuses: number[] = [];
    for (let i = 0; i < 21; i++) {
      statuses.push((await request(t.app).get(`/api/access-links/${randomBytes(32).toString('base64url')}`).set('X-Forwarded-For', from)).status);
    }
    expect(statuses.slice(0, 20)).toEqual(Array(20).fill(404));
    const refused = await request(t.app).post(`/api/access-links/${randomBytes(32).toString('base64url')}`).set('X-Forwarded-For', from).send({ password: NEW_PASSWORD });
    expectProblem(refused, 429, 'rate_limited');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(statuses[20]).toBe(429);
    expectProblem(await request(t.app).get(`/api/access-links/${randomBytes(32).toString('base64url')}`).set('X-Forwarded-For', freshAddress()), 404, 'not_found');
  });
});

describe('POST /api/auth/logout-others', () => {
  it('ends every other session of the caller and keeps this one', async () => {
    const crew = await s.crew([await s.location()]);
    const laptop = request.agent(t.app);
    await laptop.post('/api/auth/login').set('X-Forwarded-For', freshAddress()).send({ email: crew.email, password: PASSWORD }).expect(200);
    const other = await s.crew([await s.location()]);
    await laptop.post('/api/auth/logout-others').expect(204);
    expectProblem(await crew.agent.get('/api/auth/me'), 401, 'unauthenticated');
    await laptop.get('/api/auth/me').expect(200);
    // Nobody else's sessions.
    await other.agent.get('/api/auth/me').expect(200);
  });
});

describe('first-run setup', () => {
  it('GET /api/setup says no setup is needed once users exist, and POST /api/setup is then a 409', async () => {
    const res = await request(t.app).get('/api/setup').expect(200);
    expect(res.body).toEqual({ needed: false, demoDataAllowed: true });
    expect(res.headers['cache-control']).toBe('no-store');
    const body = { token: randomBytes(32).toString('base64url'), name: 'Late Owner', email: uniqueEmail('owner'), password: NEW_PASSWORD };
    expectProblem(await request(t.app).post('/api/setup').set('X-Forwarded-For', freshAddress()).send(body), 409, 'setup_done');
    expect(await s.db.select().from(users).where(eq(users.email, body.email))).toEqual([]);
  });

  it('refuses demo data in production (422)', async () => {
    const production = await createApiTestApp('accounts-production', { NODE_ENV: 'production', SESSION_SECRET: 'a production secret of enough length', LOG_LEVEL: 'warn' });
    try {
      const body = { token: randomBytes(32).toString('base64url'), name: 'Owner', email: uniqueEmail('owner'), password: NEW_PASSWORD, demoData: true };
      expect((await request(production.app).get('/api/setup').expect(200)).body.demoDataAllowed).toBe(false);
      const problem = expectProblem(await request(production.app).post('/api/setup').send(body), 422, 'unprocessable');
      expect(problem.errors).toEqual([expect.objectContaining({ path: 'demoData' })]);
    } finally {
      await production.close();
    }
  });

  it('on an empty database: logs one link per start, refuses wrong tokens, creates the first admin once, signed in', async () => {
    await withFreshDatabase(async ({ db }, url) => {
      const fresh = await createApiTestApp(`accounts-setup-${randomBytes(3).toString('hex')}`, { DATABASE_URL: url, TRUST_PROXY: 'loopback' });
      try {
        expect((await request(fresh.app).get('/api/setup').expect(200)).body).toEqual({ needed: true, demoDataAllowed: true });
        // Two instances start: each logs its own link, and both work until an admin exists.
        const logger = testLogger();
        expect(await announceSetup(db, logger, 5000)).toBe(true);
        expect(await announceSetup(db, logger, 5001)).toBe(true);
        const lines = logEntries().filter((e) => /\/setup\?token=/.test(String(e.msg)));
        expect(lines).toHaveLength(2);
        const [first, second] = lines.map((e) => /http:\/\/localhost:500[01]\/setup\?token=([A-Za-z0-9_-]{43})/.exec(String(e.msg))![1]!) as [string, string];
        expect(first).not.toBe(second);

        const from = freshAddress();
        const person = { name: 'Olga Owner', email: 'Olga@Owner.Example', password: NEW_PASSWORD };
        const setup = (body: object, address = from) => request(fresh.app).post('/api/setup').set('X-Forwarded-For', address).send(body);
        const details = new Set<string>();
        for (const token of [undefined, randomBytes(32).toString('base64url'), 'short', `${first}x`, 'x'.repeat(3000)]) {
          details.add(expectProblem(await setup({ ...person, token }), 403, 'forbidden').detail);
        }
        expect(details.size).toBe(1);
        const weak = expectProblem(await setup({ ...person, token: first, password: 'too short' }), 400, 'validation_failed');
        expect(weak.errors).toEqual([expect.objectContaining({ path: 'password' })]);
        expectProblem(await setup({ ...person, token: first, email: 'not an email' }), 400, 'validation_failed');
        expect(await db.select().from(users)).toEqual([]);

        // Two setups at once, through either instance's link, both past their checks and queued at
        // the lock in their transactions: exactly one creates an admin.
        const answers = await heldUntilQueued(url, 'users', 'lock table users in exclusive mode', 2, () =>
          Promise.all([
            setup({ ...person, token: first }, freshAddress()),
            setup({ name: 'Rita Rival', email: 'rita@owner.example', password: 'a rival long password', token: second }, freshAddress()),
          ]),
        );
        expect(answers.map((a) => a.status).sort()).toEqual([201, 409]);
        const won = answers.find((a) => a.status === 201)!;
        expectProblem(answers.find((a) => a.status === 409)!, 409, 'setup_done');
        expect(won.body.user).toMatchObject({ role: 'admin', active: true, invitePending: false });
        expect(await db.select({ id: users.id }).from(users)).toHaveLength(1);

        // Signed in as the new admin.
        const cookie = sessionCookieOf(won.headers['set-cookie'])!;
        expect((await request(fresh.app).get('/api/auth/me').set('Cookie', cookie).expect(200)).body.user.id).toBe(won.body.user.id);
        expect((await request(fresh.app).get('/api/setup').expect(200)).body).toEqual({ needed: false, demoDataAllowed: true });
        // No link works any more, and none is logged on the next start.
        expectProblem(await setup({ ...person, token: first }), 409, 'setup_done');
        expect(await announceSetup(db, logger, 5000)).toBe(false);
        expect(answers.map((a) => a.text).join()).not.toContain(first);
        expectNoTokenInLogs([first, second], /^No account exists yet: open http:\/\/localhost:500[01]\/setup\?token=/);
      } finally {
        await fresh.close();
      }
    });
  }, 60_000);

  it('with demoData, loads the demo locations, crew and weeks around the new admin', async () => {
    await withFreshDatabase(async ({ db }, url) => {
      const fresh = await createApiTestApp(`accounts-demo-${randomBytes(3).toString('hex')}`, { DATABASE_URL: url });
      try {
        await announceSetup(db, testLogger(), 5000);
        const token = /token=([A-Za-z0-9_-]{43})/.exec(String(logEntries().find((e) => /setup\?token=/.test(String(e.msg)))!.msg))![1];
        const owner = request.agent(fresh.app);
        const demoEmail = { token, name: 'Dora Demo', email: `someone@${DEMO_DOMAIN}`, password: NEW_PASSWORD, demoData: true };
        expectProblem(await owner.post('/api/setup').send(demoEmail), 422, 'unprocessable');
        const res = await owner.post('/api/setup').send({ ...demoEmail, email: 'dora@owner.example' }).expect(201);
        expect(res.body.user).toMatchObject({ email: 'dora@owner.example', role: 'admin' });
        expect(await db.select().from(locations)).toHaveLength(3);
        expect(await db.select().from(schedules)).toHaveLength(6);
        // The new admin is the only admin; the demo brings managers and crew.
        const admins = await db.select({ email: users.email }).from(users).where(eq(users.role, 'admin'));
        expect(admins).toEqual([{ email: 'dora@owner.example' }]);
        const seen = await owner.get('/api/locations').expect(200);
        expect(seen.body.items).toHaveLength(3);
        const people = await owner.get('/api/users').query({ role: 'crew', limit: '200' }).expect(200);
        expect(people.body.items.length).toBe(30);
      } finally {
        await fresh.close();
      }
    });
  }, 60_000);
});
