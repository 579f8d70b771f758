import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eq, sql } from 'drizzle-orm';
import { Page } from '../../shared/schemas/common.js';
import { UserShift } from '../../shared/schemas/schedules.js';
import { User } from '../../shared/schemas/users.js';
import { encodeCursor } from '../http/cursor.js';
import { shifts, users } from '../db/schema.js';
import { INVALID_IDS, MISSING_ID, PASSWORD, createApiTestApp, expectProblem, localTime, scenario, signIn, type Person, type Scenario } from '../../test/support/api.js';
import { uniqueEmail, uniqueMonday } from '../../test/support/factories.js';
import type { TestApp } from '../../test/support/test-app.js';

let t: TestApp;
let s: Scenario;
/** A world of two venues: a manager of each, crew of each, and one admin. */
let bar: { id: number };
let cafe: { id: number };
let admin: Person;
let barManager: Person;
let cafeManager: Person;
let barCrew: Person;
let cafeCrew: Person;

beforeAll(async () => {
  t = await createApiTestApp('users');
  s = scenario(t);
  [bar, cafe] = await Promise.all([s.location({ name: 'Bar' }), s.location({ name: 'Cafe' })]);
  admin = await s.admin();
  barManager = await s.manager([bar]);
  cafeManager = await s.manager([cafe]);
  barCrew = await s.crew([bar]);
  cafeCrew = await s.crew([cafe]);
});
afterAll(() => t.close());

const newUser = (overrides: Record<string, unknown> = {}) => ({
  email: uniqueEmail('new'),
  name: 'New Person',
  role: 'crew',
  password: PASSWORD,
  locationIds: [bar.id],
  ...overrides,
});

const userRow = async (email: string) => (await s.db.select().from(users).where(sql`lower(${users.email}) = lower(${email})`))[0];

describe('POST /api/users', () => {
  it('an admin creates a manager with positions; the answer is the user, without any password or hash', async () => {
    const email = uniqueEmail('Mixed.Case');
    const res = await admin.agent
      .post('/api/users')
      .send({ email: `  ${email.toUpperCase()} `, name: ' Mona ', role: 'manager', password: PASSWORD, phone: '+31 20 555 0100', memberships: [{ locationId: cafe.id, position: 'Floor' }, { locationId: bar.id }] })
      .expect(201);
    expect(User.parse(res.body)).toEqual({
      id: expect.any(Number),
      email: email.toLowerCase(),
      name: 'Mona',
      role: 'manager',
      phone: '+31 20 555 0100',
      active: true,
      locationIds: [bar.id, cafe.id].sort((a, b) => a - b),
      memberships: expect.arrayContaining([
        { locationId: cafe.id, position: 'Floor' },
        { locationId: bar.id, position: null },
      ]),
      invitePending: false,
      hourlyRate: null,
      maxWeeklyHours: null,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    expect(res.text).not.toMatch(/password|argon2/i);
    // The new account works: they can sign in with the password given.
    await signIn(t.app, email);
  });

  it('a manager creates crew in a location they manage', async () => {
    const res = await barManager.agent.post('/api/users').send(newUser()).expect(201);
    expect(User.parse(res.body)).toMatchObject({ role: 'crew', locationIds: [bar.id], active: true });
  });

  it.each([
    ['a manager', () => ({ role: 'manager' })],
    ['an admin', () => ({ role: 'admin' })],
    ['crew in a location they do not manage', () => ({ locationIds: [cafe.id] })],
    ['crew in one of theirs and one not', () => ({ locationIds: [bar.id, cafe.id] })],
    ['crew in no location', () => ({ locationIds: [] })],
  ])('a manager may not create %s: 403, and no user appears', async (_what, overrides) => {
    const body = newUser(overrides());
    const res = await barManager.agent.post('/api/users').send(body);
    expectProblem(res, 403, 'forbidden');
    expect(await userRow(body.email)).toBeUndefined();
  });

  it('crew may not create users: 403', async () => {
    const body = newUser();
    expectProblem(await barCrew.agent.post('/api/users').send(body), 403, 'forbidden');
    expect(await userRow(body.email)).toBeUndefined();
  });

  it('without a session: 401', async () => {
    expectProblem(await s.anonymous().post('/api/users').send(newUser()), 401, 'unauthenticated');
  });

  it('an email already in use, in any letter case, is a 409 email_taken', async () => {
    const email = uniqueEmail('taken');
    await admin.agent.post('/api/users').send(newUser({ email })).expect(201);
    const res = await admin.agent.post('/api/users').send(newUser({ email: email.toUpperCase(), name: 'Someone Else' }));
    expectProblem(res, 409, 'email_taken');
    expect(await s.db.select().from(users).where(sql`lower(${users.email}) = ${email}`)).toHaveLength(1);
  });

  it('of two concurrent creates with one email, one wins and the other is a 409', async () => {
    const email = uniqueEmail('race');
    const results = await Promise.all([admin.agent.post('/api/users').send(newUser({ email })), admin.agent.post('/api/users').send(newUser({ email }))]);
    expect(results.map((r) => r.status).sort()).toEqual([201, 409]);
  });

  it.each([
    { length: 11, status: 400 },
    { length: 12, status: 201 },
    { length: 256, status: 201 },
    { length: 257, status: 400 },
  ])('a password of $length characters is answered $status', async ({ length, status }) => {
    const password = 'p'.repeat(length);
    const body = newUser({ password });
    const res = await admin.agent.post('/api/users').send(body);
    expect(res.status).toBe(status);
    if (status === 400) {
      expect(expectProblem(res, 400, 'validation_failed').errors).toEqual([{ path: 'password', message: expect.any(String) }]);
      expect(await userRow(body.email)).toBeUndefined();
    } else {
      User.parse(res.body);
    }
  });

  it.each([
    ['an unknown field', { isAdmin: true }],
    ['a bad email', { email: 'not-an-email' }],
    ['an unknown role', { role: 'owner' }],
    ['an empty name', { name: '   ' }],
    ['locationIds and memberships both', { memberships: [{ locationId: 1 }] }],
    ['a location id that is not an id', { locationIds: [0] }],
    ['a phone that is not a phone number', { phone: 'call me maybe' }],
    ['a name with a NUL character', { name: 'Nul\u0000Person' }],
  ])('%s is a 400 validation_failed, and nothing is created', async (_what, overrides) => {
    const body = newUser(overrides);
    const res = await admin.agent.post('/api/users').send(body);
    expect(expectProblem(res, 400, 'validation_failed').errors).toEqual(expect.arrayContaining([{ path: expect.any(String), message: expect.any(String) }]));
    if (typeof body.email === 'string') expect(await userRow(body.email)).toBeUndefined();
  });

  it('a location that does not exist is a 422', async () => {
    const body = newUser({ locationIds: [MISSING_ID] });
    expectProblem(await admin.agent.post('/api/users').send(body), 422, 'unprocessable');
    expect(await userRow(body.email)).toBeUndefined();
  });
});

describe('GET /api/users', () => {
  it('an admin pages through users of a location with an opaque cursor, in a stable order', async () => {
    const venue = await s.location();
    const people = await Promise.all([1, 2, 3].map(() => s.crew([venue])));
    const seen: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await admin.agent
        .get('/api/users')
        .query({ locationId: venue.id, limit: 2, ...(cursor ? { cursor } : {}) })
        .expect(200);
      const page = Page(User).parse(res.body);
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((u) => u.id));
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor && pages < 5);
    expect(seen).toEqual(people.map((p) => p.id).sort((a, b) => a - b));
    expect(pages).toBe(2);
  });

  it('a manager sees only the people who share a location with them', async () => {
    const res = await barManager.agent.get('/api/users').query({ limit: 200 }).expect(200);
    const ids = Page(User).parse(res.body).items.map((u) => u.id);
    expect(ids).toEqual(expect.arrayContaining([barManager.id, barCrew.id]));
    expect(ids).not.toContain(cafeCrew.id);
    expect(ids).not.toContain(cafeManager.id);
  });

  it('filters by role, active and a search term', async () => {
    const venue = await s.location();
    const [active, inactive] = await Promise.all([
      s.crew([venue], { name: 'Zebulon Quartz' }),
      s.crew([venue], { name: 'Zebulon Inactive', active: false }),
      s.manager([venue]),
    ]);
    const list = async (query: Record<string, string | number>) =>
      Page(User).parse((await admin.agent.get('/api/users').query({ locationId: venue.id, ...query }).expect(200)).body).items.map((u) => u.id);
    expect(await list({ role: 'crew' })).toEqual([active!.id, inactive!.id].sort((a, b) => a - b));
    expect(await list({ role: 'crew', active: 'false' })).toEqual([inactive!.id]);
    expect(await list({ q: 'quartz' })).toEqual([active!.id]);
    expect(await list({ q: '%' })).toEqual([]);
  });

  it('crew may not list users: 403', async () => {
    expectProblem(await barCrew.agent.get('/api/users'), 403, 'forbidden');
  });

  it('without a session: 401', async () => {
    expectProblem(await s.anonymous().get('/api/users'), 401, 'unauthenticated');
  });

  it.each([
    ['limit=0', { limit: '0' }],
    ['limit=201', { limit: '201' }],
    ['limit=abc', { limit: 'abc' }],
    ['limit=-1', { limit: '-1' }],
    ['a cursor this API did not issue', { cursor: 'not a cursor!' }],
    ['a cursor that decodes to nonsense', { cursor: encodeCursor({ id: 'abc' }) }],
    ['a cursor with an id out of range', { cursor: encodeCursor({ id: 2 ** 40 }) }],
    ['an unknown role', { role: 'owner' }],
    ['a search term with a NUL character', { q: 'a\u0000b' }],
    ['an unknown parameter', { sort: 'name' }],
  ])('%s is a 400', async (_what, query) => {
    expectProblem(await admin.agent.get('/api/users').query(query), 400, 'validation_failed');
  });

  it('accepts limits 1 and 200', async () => {
    for (const limit of [1, 200]) {
      const page = Page(User).parse((await admin.agent.get('/api/users').query({ limit }).expect(200)).body);
      expect(page.items.length).toBeLessThanOrEqual(limit);
    }
  });
});

describe('GET /api/users/:id', () => {
  it.each([
    ['themselves', () => barCrew, () => barCrew],
    ['an admin', () => admin, () => cafeCrew],
    ['a manager sharing a location', () => barManager, () => barCrew],
  ])('%s may see the user', async (_who, viewer, target) => {
    const res = await viewer().agent.get(`/api/users/${target().id}`).expect(200);
    expect(User.parse(res.body)).toMatchObject({ id: target().id, email: target().email, role: target().role, locationIds: target().locationIds });
  });

  it.each([
    ['a manager of another location', () => cafeManager, () => barCrew],
    ['crew looking at a colleague', () => barCrew, () => barManager],
  ])('for %s the user does not exist: 404', async (_who, viewer, target) => {
    expectProblem(await viewer().agent.get(`/api/users/${target().id}`), 404, 'not_found');
  });

  it('an id nobody has is a 404', async () => {
    expectProblem(await admin.agent.get(`/api/users/${MISSING_ID}`), 404, 'not_found');
  });

  it.each(INVALID_IDS)('the id %s is a 400, never a 500', async (id) => {
    expectProblem(await admin.agent.get(`/api/users/${id}`), 400, 'validation_failed');
  });

  it('without a session: 401', async () => {
    expectProblem(await s.anonymous().get(`/api/users/${barCrew.id}`), 401, 'unauthenticated');
  });
});

describe('PATCH /api/users/:id', () => {
  it('anyone changes their own name and phone', async () => {
    const me = await s.crew([bar]);
    const res = await me.agent.patch(`/api/users/${me.id}`).send({ name: 'Renamed Me', phone: '020 555 0199' }).expect(200);
    expect(User.parse(res.body)).toMatchObject({ id: me.id, name: 'Renamed Me', phone: '020 555 0199' });
    // Read back: the change is there, from the cache or not.
    expect((await me.agent.get(`/api/users/${me.id}`).expect(200)).body).toMatchObject({ name: 'Renamed Me' });
    // An empty phone clears it.
    expect((await me.agent.patch(`/api/users/${me.id}`).send({ phone: '' }).expect(200)).body.phone).toBeNull();
  });

  it.each([
    ['their role', () => ({ role: 'admin' })],
    ['their email', () => ({ email: uniqueEmail('self') })],
    ['their locations', () => ({ locationIds: [bar.id, cafe.id] })],
    ['their own active flag', () => ({ active: false })],
    ['their password', () => ({ password: 'a brand new password' })],
  ])('crew may not change %s: 403, and nothing changes', async (_what, patch) => {
    const me = await s.crew([bar]);
    const before = (await me.agent.get(`/api/users/${me.id}`).expect(200)).body;
    const res = await me.agent.patch(`/api/users/${me.id}`).send({ name: 'Sneaky', ...patch() });
    expectProblem(res, 403, 'forbidden');
    expect((await me.agent.get(`/api/users/${me.id}`).expect(200)).body).toEqual(before);
  });

  it('a manager changes the name, phone and locations (within theirs) of their crew', async () => {
    const both = await s.manager([bar, cafe]);
    const worker = await s.crew([bar]);
    const res = await both.agent.patch(`/api/users/${worker.id}`).send({ name: 'Moved Worker', phone: '+44 20 7946 0000', locationIds: [cafe.id] }).expect(200);
    expect(User.parse(res.body)).toMatchObject({ name: 'Moved Worker', locationIds: [cafe.id] });
  });

  it('a manager rearranging memberships leaves those in other locations alone', async () => {
    const worker = await s.crew([bar, cafe]);
    const res = await barManager.agent.patch(`/api/users/${worker.id}`).send({ memberships: [{ locationId: bar.id, position: 'Barback' }] }).expect(200);
    expect(User.parse(res.body).memberships).toEqual(
      [
        { locationId: bar.id, position: 'Barback' },
        { locationId: cafe.id, position: 'Bartender' },
      ].sort((a, b) => a.locationId - b.locationId),
    );
  });

  it.each([
    ['rename', { name: 'Renamed Elsewhere' }],
    ['change the phone of', { phone: '+31 20 555 0111' }],
    ['deactivate', { active: false }],
  ])('a manager may not %s crew who also work at a location they do not manage: 403, nothing changes', async (_what, patch) => {
    const worker = await s.crew([bar, cafe]);
    const before = (await admin.agent.get(`/api/users/${worker.id}`).expect(200)).body;
    const problem = expectProblem(await barManager.agent.patch(`/api/users/${worker.id}`).send(patch), 403, 'forbidden');
    expect(problem.detail).toMatch(/also works at a location you do not manage/);
    expect((await admin.agent.get(`/api/users/${worker.id}`).expect(200)).body).toEqual(before);
    await worker.agent.get('/api/auth/me').expect(200);
    // Once the bar is the only place they work, the bar's manager runs their account.
    await cafeManager.agent.patch(`/api/users/${worker.id}`).send({ locationIds: [] }).expect(200);
    expect((await barManager.agent.patch(`/api/users/${worker.id}`).send(patch).expect(200)).body).toMatchObject(patch);
  });

  it('a manager may not put crew into a location they do not manage: 403, nothing changes', async () => {
    const worker = await s.crew([bar]);
    expectProblem(await barManager.agent.patch(`/api/users/${worker.id}`).send({ locationIds: [bar.id, cafe.id] }), 403, 'forbidden');
    expect((await admin.agent.get(`/api/users/${worker.id}`).expect(200)).body.locationIds).toEqual([bar.id]);
  });

  it.each([
    ['an email', { email: uniqueEmail('mgr') }],
    ['a role', { role: 'manager' }],
    ['a password', { password: 'a brand new password' }],
  ])('a manager may not change %s of their crew: 403', async (_what, patch) => {
    const worker = await s.crew([bar]);
    expectProblem(await barManager.agent.patch(`/api/users/${worker.id}`).send(patch), 403, 'forbidden');
  });

  it('a manager may see but not change another manager of their location: 403', async () => {
    const colleague = await s.manager([bar]);
    expectProblem(await barManager.agent.patch(`/api/users/${colleague.id}`).send({ name: 'Nope' }), 403, 'forbidden');
  });

  it('crew of another location are invisible to a manager: 404', async () => {
    expectProblem(await barManager.agent.patch(`/api/users/${cafeCrew.id}`).send({ name: 'Nope' }), 404, 'not_found');
  });

  it('a manager deactivating their crew ends every session of that person at once', async () => {
    const worker = await s.crew([bar]);
    const second = await signIn(t.app, worker.email);
    await worker.agent.get('/api/auth/me').expect(200);
    const res = await barManager.agent.patch(`/api/users/${worker.id}`).send({ active: false }).expect(200);
    expect(User.parse(res.body).active).toBe(false);
    expectProblem(await worker.agent.get('/api/auth/me'), 401, 'unauthenticated');
    expectProblem(await second.get('/api/auth/me'), 401, 'unauthenticated');
    expectProblem(await s.anonymous().post('/api/auth/login').send({ email: worker.email, password: PASSWORD }), 401, 'unauthenticated');
  });

  it('an admin changes email and role; the email must stay unique in any case', async () => {
    const target = await s.crew([bar]);
    const email = uniqueEmail('renamed');
    const res = await admin.agent.patch(`/api/users/${target.id}`).send({ email: email.toUpperCase(), role: 'manager' }).expect(200);
    expect(User.parse(res.body)).toMatchObject({ email, role: 'manager' });
    expectProblem(await admin.agent.patch(`/api/users/${barCrew.id}`).send({ email: email.toUpperCase() }), 409, 'email_taken');
    expect((await admin.agent.get(`/api/users/${barCrew.id}`).expect(200)).body.email).toBe(barCrew.email);
  });

  it('an admin may not deactivate themselves or give up their own admin role: 422', async () => {
    const me = await s.admin();
    expectProblem(await me.agent.patch(`/api/users/${me.id}`).send({ active: false }), 422, 'unprocessable');
    expectProblem(await me.agent.patch(`/api/users/${me.id}`).send({ role: 'crew' }), 422, 'unprocessable');
    await me.agent.get('/api/auth/me').expect(200);
  });

  it('an admin setting a new password ends the person’s sessions; the new one works', async () => {
    const target = await s.crew([bar]);
    await admin.agent.patch(`/api/users/${target.id}`).send({ password: 'a fresh password for you' }).expect(200);
    expectProblem(await target.agent.get('/api/auth/me'), 401, 'unauthenticated');
    await signIn(t.app, target.email, 'a fresh password for you');
  });

  it('when a manager renames a crew member, the cached schedule shows the new name', async () => {
    const worker = await s.crew([bar]);
    const week = uniqueMonday();
    const schedule = await s.schedule(bar, { weekStart: week, status: 'published' });
    await s.shift(schedule, { userId: worker.id, startsAt: localTime(week, 1, '09:00'), endsAt: localTime(week, 1, '17:00') });
    // Fill the cache with the old name.
    expect((await worker.agent.get(`/api/schedules/${schedule.id}`).expect(200)).body.shifts[0].userName).toBe(worker.name);
    await barManager.agent.patch(`/api/users/${worker.id}`).send({ name: 'Freshly Renamed' }).expect(200);
    expect((await worker.agent.get(`/api/schedules/${schedule.id}`).expect(200)).body.shifts[0].userName).toBe('Freshly Renamed');
  });

  it.each([
    ['an empty body', {}],
    ['an unknown field', { nickname: 'x' }],
    ['a name too long', { name: 'n'.repeat(121) }],
    ['active as a string', { active: 'false' }],
  ])('%s is a 400', async (_what, body) => {
    expectProblem(await admin.agent.patch(`/api/users/${barCrew.id}`).send(body), 400, 'validation_failed');
  });

  it('an unknown user is a 404, an invalid id a 400', async () => {
    expectProblem(await admin.agent.patch(`/api/users/${MISSING_ID}`).send({ name: 'x' }), 404, 'not_found');
    expectProblem(await admin.agent.patch('/api/users/abc').send({ name: 'x' }), 400, 'validation_failed');
  });
});

describe('DELETE /api/users/:id', () => {
  it('an admin deactivates a user: 204, the profile stays (inactive), their shifts stay, their sessions end', async () => {
    const worker = await s.crew([bar]);
    const week = uniqueMonday();
    const schedule = await s.schedule(bar, { weekStart: week });
    const shift = await s.shift(schedule, { userId: worker.id, startsAt: localTime(week, 2, '10:00'), endsAt: localTime(week, 2, '18:00') });

    const res = await admin.agent.delete(`/api/users/${worker.id}`).expect(204);
    expect(res.text).toBe('');
    expect(User.parse((await admin.agent.get(`/api/users/${worker.id}`).expect(200)).body).active).toBe(false);
    expect((await s.db.select().from(shifts).where(eq(shifts.id, shift.id)))[0]?.userId).toBe(worker.id);
    expectProblem(await worker.agent.get('/api/auth/me'), 401, 'unauthenticated');
    expectProblem(await s.anonymous().post('/api/auth/login').send({ email: worker.email, password: PASSWORD }), 401, 'unauthenticated');
  });

  it.each([
    ['a manager of theirs, who can see them', () => barManager, 403, 'forbidden'],
    ['crew, who cannot see other crew', () => barCrew, 404, 'not_found'],
  ] as const)('%s may not: %i, and the user stays active', async (_who, caller, status, code) => {
    const target = await s.crew([bar]);
    expectProblem(await caller().agent.delete(`/api/users/${target.id}`), status, code);
    expect((await userRow(target.email))?.active).toBe(true);
  });

  it('an admin may not deactivate themselves: 422', async () => {
    const me = await s.admin();
    expectProblem(await me.agent.delete(`/api/users/${me.id}`), 422, 'unprocessable');
  });

  it('an unknown user is a 404, an invalid id a 400, no session a 401', async () => {
    expectProblem(await admin.agent.delete(`/api/users/${MISSING_ID}`), 404, 'not_found');
    expectProblem(await admin.agent.delete('/api/users/0'), 400, 'validation_failed');
    expectProblem(await s.anonymous().delete(`/api/users/${barCrew.id}`), 401, 'unauthenticated');
  });
});

describe('GET /api/users/:id/shifts', () => {
  let worker: Person;
  let published: { id: number };
  let draft: { id: number };
  let week: string;
  let draftWeek: string;
  beforeAll(async () => {
    worker = await s.crew([bar, cafe]);
    week = uniqueMonday();
    draftWeek = uniqueMonday();
    published = await s.schedule(cafe, { weekStart: week, status: 'published' });
    draft = await s.schedule(bar, { weekStart: draftWeek });
    // Inserted out of order: the answer is oldest first.
    await s.shift(published, { userId: worker.id, startsAt: localTime(week, 3, '12:00'), endsAt: localTime(week, 3, '20:00') });
    await s.shift(published, { userId: worker.id, startsAt: localTime(week, 1, '08:00'), endsAt: localTime(week, 1, '12:00') });
    await s.shift(draft, { userId: worker.id, startsAt: localTime(draftWeek, 0, '08:00'), endsAt: localTime(draftWeek, 0, '12:00') });
  });

  it('crew see their own shifts of published weeks, oldest first, each with its location', async () => {
    const res = await worker.agent.get(`/api/users/${worker.id}/shifts`).expect(200);
    const page = Page(UserShift).parse(res.body);
    expect(page.nextCursor).toBeNull();
    expect(page.items.map((i) => [i.startsAt, i.locationId, i.scheduleId])).toEqual([
      [localTime(week, 1, '08:00'), cafe.id, published.id],
      [localTime(week, 3, '12:00'), cafe.id, published.id],
    ]);
    expect(page.items[0]).toEqual({
      id: expect.any(Number),
      scheduleId: published.id,
      locationId: cafe.id,
      userId: worker.id,
      userName: worker.name,
      position: 'Bartender',
      startsAt: localTime(week, 1, '08:00'),
      endsAt: localTime(week, 1, '12:00'),
      notes: null,
      version: 1,
    });
  });

  it('a manager sees the shifts at the locations they manage, draft weeks included, and none elsewhere', async () => {
    const listed = async (viewer: Person) =>
      Page(UserShift)
        .parse((await viewer.agent.get(`/api/users/${worker.id}/shifts`).expect(200)).body)
        .items.map(({ startsAt, scheduleId }) => ({ startsAt, scheduleId }));
    const atCafe = [
      { startsAt: localTime(week, 1, '08:00'), scheduleId: published.id },
      { startsAt: localTime(week, 3, '12:00'), scheduleId: published.id },
    ];
    const atBar = [{ startsAt: localTime(draftWeek, 0, '08:00'), scheduleId: draft.id }];
    // The cafe's week answers the bar's manager 404, so its shifts are not theirs to list either.
    expect(await listed(barManager)).toEqual(atBar);
    expect(await listed(cafeManager)).toEqual(atCafe);
    const ofBoth = await s.manager([bar, cafe]);
    expect(await listed(ofBoth)).toEqual([...atCafe, ...atBar].sort((a, b) => a.startsAt.localeCompare(b.startsAt)));
  });

  it('from and to narrow the list to shifts overlapping [from, to)', async () => {
    const res = await worker.agent
      .get(`/api/users/${worker.id}/shifts`)
      .query({ from: localTime(week, 2, '00:00'), to: localTime(week, 7, '00:00') })
      .expect(200);
    expect(Page(UserShift).parse(res.body).items.map((i) => i.startsAt)).toEqual([localTime(week, 3, '12:00')]);
    const byDate = await worker.agent.get(`/api/users/${worker.id}/shifts`).query({ to: week }).expect(200);
    expect(byDate.body.items.every((i: { startsAt: string }) => i.startsAt < `${week}T00:00:00.000Z`)).toBe(true);
  });

  it('pages with limit and an opaque cursor, oldest first', async () => {
    const first = Page(UserShift).parse((await admin.agent.get(`/api/users/${worker.id}/shifts`).query({ limit: 2 }).expect(200)).body);
    expect(first.items).toHaveLength(2);
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = Page(UserShift).parse(
      (await admin.agent.get(`/api/users/${worker.id}/shifts`).query({ limit: 2, cursor: first.nextCursor! }).expect(200)).body,
    );
    expect(second).toEqual({ items: [expect.any(Object)], nextCursor: null });
    const all = Page(UserShift).parse((await admin.agent.get(`/api/users/${worker.id}/shifts`).expect(200)).body).items;
    expect([...first.items, ...second.items]).toEqual(all);
  });

  it('another crew member’s shifts do not exist for crew: 404', async () => {
    expectProblem(await barCrew.agent.get(`/api/users/${worker.id}/shifts`), 404, 'not_found');
  });

  it.each([
    ['a date that is not real', { from: '2027-02-30' }],
    ['a time without an offset', { from: '2027-03-01T09:00:00' }],
    ['words', { to: 'tomorrow' }],
    ['year zero', { from: '0000-01-01' }],
    ['an instant past the year 9999', { to: '9999-12-31T23:00:00-14:00' }],
    ['an unknown parameter', { page: '2' }],
    ['limit=0', { limit: '0' }],
    ['limit=201', { limit: '201' }],
    ['a forged cursor', { cursor: encodeCursor({ startsAt: 'yesterday', id: 1 }) }],
    ['a forged cursor at year zero', { cursor: encodeCursor({ startsAt: '0000-01-01T00:00:00Z', id: 1 }) }],
    ['a year before 1900', { from: '1899-12-31T23:00:00Z' }],
  ])('%s is a 400', async (_what, query) => {
    expectProblem(await worker.agent.get(`/api/users/${worker.id}/shifts`).query(query), 400, 'validation_failed');
  });

  it('an unknown user is a 404, an invalid id a 400', async () => {
    expectProblem(await admin.agent.get(`/api/users/${MISSING_ID}/shifts`), 404, 'not_found');
    expectProblem(await admin.agent.get('/api/users/-1/shifts'), 400, 'validation_failed');
  });
});
