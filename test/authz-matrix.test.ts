import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { createRoutes } from '../server/app.js';
import { schedules, shiftRequests, shifts } from '../server/db/schema.js';
import { createTestApp, type TestApp } from './support/test-app.js';
import { ACCOUNT_PASSWORD, makeAccount, signIn, type Account, type Agent } from './support/accounts.js';
import { insertLocation, insertSchedule, uniqueEmail, uniqueMonday } from './support/factories.js';

/**
 * Every route of the app × every kind of caller → the status API.md promises. A route added to
 * the route table without a row here fails the completeness test below (and one added to Express
 * outside the table fails server/openapi/openapi.test.ts, which holds the two equal).
 *
 * "crew" and "manager" belong to location A, where every resource under test lives; "otherCrew"
 * and "otherManager" belong to location B only; "crewOfBoth" and "managerOfBoth" to A and B.
 * "crewOfBoth" is also the subject of the rows about a person at several locations (policy.ts:
 * a manager changes such a person's memberships in their own locations, and the rest only when
 * they run every location the person works at). Rows that change or consume something build a
 * fresh target for each caller, so the callers never depend on each other's order.
 */
const CALLERS = ['anonymous', 'crew', 'otherCrew', 'crewOfBoth', 'manager', 'otherManager', 'managerOfBoth', 'admin'] as const;
type Caller = (typeof CALLERS)[number];
type Expected = Record<Caller, number>;

const all = (status: number): Expected => Object.fromEntries(CALLERS.map((c) => [c, status])) as Expected;
const signedIn = (status: number): Expected => ({ ...all(status), anonymous: 401 });

interface World {
  locationA: number;
  locationB: number;
  accounts: Record<Exclude<Caller, 'anonymous'>, Account>;
  /** A crew member of A who is the subject of the user routes. */
  subject: Account;
  /** The shifts of "crewOfBoth": in a published and a draft week at A and at B. */
  sharedShifts: Record<'publishedA' | 'draftA' | 'publishedB' | 'draftB', number>;
  published: number;
  draft: number;
  openShift: number;
  /** The subject's calendar feed, and the address it had before it was renewed. */
  calendarFeed: string;
  oldCalendarFeed: string;
}

interface Row {
  route: string;
  label?: string;
  expected: Expected;
  send(agent: Agent | request.Agent, world: World, caller: Caller): Promise<request.Response>;
  /** What a successful answer must hold for this caller, beyond its status. */
  check?(res: request.Response, world: World, caller: Caller): void;
}

/** A fresh crew member of A and B, for rows that change the person. */
const freshCrewOfBoth = (w: World) => makeAccount(t.deps.database.db, 'crew', [w.locationA, w.locationB]);

let t: TestApp;
let world: World;
const agents = new Map<Caller, Agent | request.Agent>();
let hourCursor = 0;

/** A fresh open shift in the published week of A, at an hour no other row uses. */
async function freshOpenShift(scheduleId: number, weekStart: string): Promise<number> {
  const start = new Date(Date.parse(`${weekStart}T02:00:00Z`) + (hourCursor++ % 140) * 3600_000 * 1);
  const [row] = await t.deps.database.db
    .insert(shifts)
    .values({ scheduleId, userId: null, position: 'Runner', startsAt: start, endsAt: new Date(start.getTime() + 3600_000) })
    .returning({ id: shifts.id });
  await t.deps.cache.invalidate([{ namespace: 'schedule', id: scheduleId }]);
  return row!.id;
}

let publishedWeek = '';

/** A fresh shift of "crew" in the published week of A, with (if asked) a pending drop request of it: the subject of the request rows. */
async function freshCrewShift(w: World, withRequest = false): Promise<{ shiftId: number; requestId: number }> {
  const start = new Date(Date.parse(`${publishedWeek}T02:00:00Z`) + (hourCursor++ % 140) * 3600_000);
  const db = t.deps.database.db;
  const [shift] = await db
    .insert(shifts)
    .values({ scheduleId: w.published, userId: w.accounts.crew.id, position: 'Runner', startsAt: start, endsAt: new Date(start.getTime() + 3600_000) })
    .returning({ id: shifts.id });
  await t.deps.cache.invalidate([{ namespace: 'schedule', id: w.published }]);
  if (!withRequest) return { shiftId: shift!.id, requestId: 0 };
  const [request] = await db.insert(shiftRequests).values({ shiftId: shift!.id, kind: 'drop', requesterId: w.accounts.crew.id }).returning({ id: shiftRequests.id });
  return { shiftId: shift!.id, requestId: request!.id };
}

const ROWS: Row[] = [
  { route: 'GET /health/live', expected: all(200), send: (a) => a.get('/api/health/live') },
  { route: 'GET /health/redis', expected: all(200), send: (a) => a.get('/api/health/redis') },
  { route: 'GET /health', expected: all(200), send: (a) => a.get('/api/health') },
  { route: 'GET /openapi.json', expected: all(200), send: (a) => a.get('/api/openapi.json') },
  {
    route: 'POST /auth/login',
    expected: all(200),
    // A browser of its own, so the caller's session stays as it is for the other rows.
    send: (_a, w, caller) => request(t.app).post('/api/auth/login').send({ email: (caller === 'anonymous' ? w.subject : w.accounts[caller]).email, password: ACCOUNT_PASSWORD }),
  },
  {
    route: 'POST /auth/logout',
    expected: signedIn(204),
    send: async (_a, w, caller) => {
      if (caller === 'anonymous') return request(t.app).post('/api/auth/logout');
      return (await signIn(t.app, w.accounts[caller])).post('/api/auth/logout');
    },
  },
  { route: 'GET /auth/me', expected: signedIn(200), send: (a) => a.get('/api/auth/me') },
  { route: 'GET /auth/session', expected: all(200), send: (a) => a.get('/api/auth/session') },
  {
    route: 'GET /events',
    expected: signedIn(200),
    // A stream never ends by itself: read its first chunk (or the problem) and hang up.
    send: (a) =>
      a
        .get('/api/events')
        .buffer(false)
        .parse((res, done) => {
          res.once('data', () => {
            done(null, '');
            (res as unknown as { destroy(): void }).destroy();
          });
        }),
  },
  {
    route: 'POST /auth/password',
    label: 'with a wrong current password (a 400 means the route let the caller in)',
    expected: signedIn(400),
    send: (a) => a.post('/api/auth/password').send({ currentPassword: 'not my password', newPassword: 'another long password' }),
  },
  {
    route: 'GET /users',
    expected: { anonymous: 401, crew: 403, otherCrew: 403, crewOfBoth: 403, manager: 200, otherManager: 200, managerOfBoth: 200, admin: 200 },
    send: (a) => a.get('/api/users'),
  },
  {
    route: 'GET /users/:id',
    expected: { anonymous: 401, crew: 404, otherCrew: 404, crewOfBoth: 404, manager: 200, otherManager: 404, managerOfBoth: 200, admin: 200 },
    send: (a, w) => a.get(`/api/users/${w.subject.id}`),
  },
  {
    route: 'GET /users/:id',
    label: 'oneself',
    expected: signedIn(200),
    send: (a, w, caller) => a.get(`/api/users/${caller === 'anonymous' ? w.subject.id : w.accounts[caller].id}`),
  },
  {
    route: 'POST /users',
    label: 'crew for location A',
    expected: { anonymous: 401, crew: 403, otherCrew: 403, crewOfBoth: 403, manager: 201, otherManager: 403, managerOfBoth: 201, admin: 201 },
    send: (a, w) =>
      a.post('/api/users').send({ email: uniqueEmail('new'), name: 'New Hire', role: 'crew', password: 'a long enough password', locationIds: [w.locationA] }),
  },
  {
    route: 'PATCH /users/:id',
    expected: { anonymous: 401, crew: 404, otherCrew: 404, crewOfBoth: 404, manager: 200, otherManager: 404, managerOfBoth: 200, admin: 200 },
    send: (a, w) => a.patch(`/api/users/${w.subject.id}`).send({ phone: '+31 20 555 0101' }),
  },
  {
    route: 'DELETE /users/:id',
    expected: { anonymous: 401, crew: 404, otherCrew: 404, crewOfBoth: 404, manager: 403, otherManager: 404, managerOfBoth: 403, admin: 204 },
    send: async (a, w) => a.delete(`/api/users/${(await makeAccount(t.deps.database.db, 'crew', [w.locationA])).id}`),
  },
  {
    route: 'GET /users/:id/shifts',
    expected: { anonymous: 401, crew: 404, otherCrew: 404, crewOfBoth: 404, manager: 200, otherManager: 404, managerOfBoth: 200, admin: 200 },
    send: (a, w) => a.get(`/api/users/${w.subject.id}/shifts`),
  },
  {
    route: 'GET /users/:id',
    label: 'crew at A and B',
    expected: { anonymous: 401, crew: 404, otherCrew: 404, crewOfBoth: 200, manager: 200, otherManager: 200, managerOfBoth: 200, admin: 200 },
    send: (a, w) => a.get(`/api/users/${w.accounts.crewOfBoth.id}`),
  },
  {
    route: 'PATCH /users/:id',
    label: 'the name of crew at A and B: theirs, or for whoever runs every location they work at',
    expected: { anonymous: 401, crew: 404, otherCrew: 404, crewOfBoth: 200, manager: 403, otherManager: 403, managerOfBoth: 200, admin: 200 },
    send: (a, w, caller) => a.patch(`/api/users/${w.accounts.crewOfBoth.id}`).send({ name: `Renamed by ${caller}` }),
  },
  {
    route: 'PATCH /users/:id',
    label: 'the phone of crew at A and B',
    expected: { anonymous: 401, crew: 404, otherCrew: 404, crewOfBoth: 200, manager: 403, otherManager: 403, managerOfBoth: 200, admin: 200 },
    send: (a, w) => a.patch(`/api/users/${w.accounts.crewOfBoth.id}`).send({ phone: '+31 20 555 0199' }),
  },
  {
    route: 'PATCH /users/:id',
    label: 'deactivating crew at A and B',
    expected: { anonymous: 401, crew: 404, otherCrew: 404, crewOfBoth: 404, manager: 403, otherManager: 403, managerOfBoth: 200, admin: 200 },
    send: async (a, w) => a.patch(`/api/users/${(await freshCrewOfBoth(w)).id}`).send({ active: false }),
    check: (res) => expect(res.body.active).toBe(false),
  },
  {
    route: 'PATCH /users/:id',
    label: 'taking crew at A and B out of the caller’s locations (a manager’s reach ends at their own)',
    expected: { anonymous: 401, crew: 404, otherCrew: 404, crewOfBoth: 404, manager: 200, otherManager: 200, managerOfBoth: 200, admin: 200 },
    send: async (a, w) => a.patch(`/api/users/${(await freshCrewOfBoth(w)).id}`).send({ locationIds: [] }),
    check: (res, w, caller) => {
      const left = { manager: [w.locationB], otherManager: [w.locationA] }[caller as string] ?? [];
      expect(res.body.locationIds).toEqual(left);
    },
  },
  {
    route: 'DELETE /users/:id',
    label: 'crew at A and B',
    expected: { anonymous: 401, crew: 404, otherCrew: 404, crewOfBoth: 404, manager: 403, otherManager: 403, managerOfBoth: 403, admin: 204 },
    send: async (a, w) => a.delete(`/api/users/${(await freshCrewOfBoth(w)).id}`),
  },
  {
    route: 'GET /users/:id/shifts',
    label: 'crew at A and B: only shifts in weeks the caller may see',
    expected: { anonymous: 401, crew: 404, otherCrew: 404, crewOfBoth: 200, manager: 200, otherManager: 200, managerOfBoth: 200, admin: 200 },
    send: (a, w) => a.get(`/api/users/${w.accounts.crewOfBoth.id}/shifts`),
    check: (res, w, caller) => {
      const { publishedA, draftA, publishedB, draftB } = w.sharedShifts;
      const visible: Partial<Record<Caller, number[]>> = {
        crewOfBoth: [publishedA, publishedB],
        manager: [publishedA, draftA],
        otherManager: [publishedB, draftB],
        managerOfBoth: [publishedA, draftA, publishedB, draftB],
        admin: [publishedA, draftA, publishedB, draftB],
      };
      // The person's other shifts (an open shift crewOfBoth claims in a later row) are not asked about.
      const known = new Set(Object.values(w.sharedShifts));
      const listed = res.body.items.map((s: { id: number }) => s.id).filter((id: number) => known.has(id));
      expect(listed.sort()).toEqual([...visible[caller]!].sort());
    },
  },
  { route: 'GET /locations', expected: signedIn(200), send: (a) => a.get('/api/locations') },
  {
    route: 'GET /locations/:id',
    expected: { anonymous: 401, crew: 200, otherCrew: 404, crewOfBoth: 200, manager: 200, otherManager: 404, managerOfBoth: 200, admin: 200 },
    send: (a, w) => a.get(`/api/locations/${w.locationA}`),
  },
  {
    route: 'POST /locations',
    expected: { anonymous: 401, crew: 403, otherCrew: 403, crewOfBoth: 403, manager: 403, otherManager: 403, managerOfBoth: 403, admin: 201 },
    send: (a) => a.post('/api/locations').send({ name: 'Matrix Bar', timezone: 'Europe/Lisbon' }),
  },
  {
    route: 'PATCH /locations/:id',
    expected: { anonymous: 401, crew: 403, otherCrew: 404, crewOfBoth: 403, manager: 200, otherManager: 404, managerOfBoth: 200, admin: 200 },
    send: (a, w) => a.patch(`/api/locations/${w.locationA}`).send({ address: 'Damrak 1, Amsterdam' }),
  },
  {
    route: 'DELETE /locations/:id',
    label: 'a location without schedules or members',
    expected: { anonymous: 401, crew: 404, otherCrew: 404, crewOfBoth: 404, manager: 404, otherManager: 404, managerOfBoth: 404, admin: 204 },
    send: async (a) => a.delete(`/api/locations/${(await insertLocation(t.deps.database.db)).id}`),
  },
  {
    route: 'DELETE /locations/:id',
    label: 'location A, which has schedules',
    expected: { anonymous: 401, crew: 403, otherCrew: 404, crewOfBoth: 403, manager: 403, otherManager: 404, managerOfBoth: 403, admin: 409 },
    send: (a, w) => a.delete(`/api/locations/${w.locationA}`),
  },
  { route: 'GET /schedules', expected: signedIn(200), send: (a) => a.get('/api/schedules') },
  {
    route: 'POST /schedules',
    expected: { anonymous: 401, crew: 403, otherCrew: 404, crewOfBoth: 403, manager: 201, otherManager: 404, managerOfBoth: 201, admin: 201 },
    send: (a, w) => a.post('/api/schedules').send({ locationId: w.locationA, weekStart: uniqueMonday() }),
  },
  {
    route: 'GET /schedules/:id',
    label: 'published',
    expected: { anonymous: 401, crew: 200, otherCrew: 404, crewOfBoth: 200, manager: 200, otherManager: 404, managerOfBoth: 200, admin: 200 },
    send: (a, w) => a.get(`/api/schedules/${w.published}`),
  },
  {
    route: 'GET /schedules/:id',
    label: 'draft',
    expected: { anonymous: 401, crew: 404, otherCrew: 404, crewOfBoth: 404, manager: 200, otherManager: 404, managerOfBoth: 200, admin: 200 },
    send: (a, w) => a.get(`/api/schedules/${w.draft}`),
  },
  {
    route: 'PATCH /schedules/:id',
    label: 'publish a published week',
    expected: { anonymous: 401, crew: 403, otherCrew: 404, crewOfBoth: 403, manager: 200, otherManager: 404, managerOfBoth: 200, admin: 200 },
    send: (a, w) => a.patch(`/api/schedules/${w.published}`).send({ status: 'published' }),
  },
  {
    route: 'DELETE /schedules/:id',
    label: 'a fresh draft',
    expected: { anonymous: 401, crew: 404, otherCrew: 404, crewOfBoth: 404, manager: 204, otherManager: 404, managerOfBoth: 204, admin: 204 },
    send: async (a, w) => a.delete(`/api/schedules/${(await insertSchedule(t.deps.database.db, { locationId: w.locationA })).id}`),
  },
  {
    route: 'POST /schedules/:id/shifts',
    label: 'an open shift in the published week',
    expected: { anonymous: 401, crew: 403, otherCrew: 404, crewOfBoth: 403, manager: 201, otherManager: 404, managerOfBoth: 201, admin: 201 },
    send: (a, w) =>
      a.post(`/api/schedules/${w.published}/shifts`).send({ position: 'Host', startsAt: `${publishedWeek}T10:00:00.000Z`, endsAt: `${publishedWeek}T12:00:00.000Z` }),
  },
  {
    route: 'PATCH /schedules/:id/shifts/:shiftId',
    expected: { anonymous: 401, crew: 403, otherCrew: 404, crewOfBoth: 403, manager: 200, otherManager: 404, managerOfBoth: 200, admin: 200 },
    send: (a, w) => a.patch(`/api/schedules/${w.published}/shifts/${w.openShift}`).send({ notes: 'Bring a torch' }),
  },
  {
    route: 'DELETE /schedules/:id/shifts/:shiftId',
    expected: { anonymous: 401, crew: 403, otherCrew: 404, crewOfBoth: 403, manager: 204, otherManager: 404, managerOfBoth: 204, admin: 204 },
    send: async (a, w) => a.delete(`/api/schedules/${w.published}/shifts/${await freshOpenShift(w.published, publishedWeek)}`),
  },
  {
    route: 'POST /schedules/:id/shifts/:shiftId/claim',
    expected: { anonymous: 401, crew: 200, otherCrew: 404, crewOfBoth: 200, manager: 403, otherManager: 404, managerOfBoth: 403, admin: 403 },
    send: async (a, w) => a.post(`/api/schedules/${w.published}/shifts/${await freshOpenShift(w.published, publishedWeek)}/claim`),
  },
  {
    route: 'GET /schedules/:id/changes',
    expected: { anonymous: 401, crew: 403, otherCrew: 404, crewOfBoth: 403, manager: 200, otherManager: 404, managerOfBoth: 200, admin: 200 },
    send: (a, w) => a.get(`/api/schedules/${w.published}/changes`),
  },
  { route: 'GET /shift-requests', expected: signedIn(200), send: (a) => a.get('/api/shift-requests') },
  {
    route: 'POST /shift-requests',
    label: 'a drop of a shift of "crew" (someone else’s shift is a 403 to whoever sees it)',
    expected: { anonymous: 401, crew: 201, otherCrew: 404, crewOfBoth: 403, manager: 403, otherManager: 404, managerOfBoth: 403, admin: 403 },
    send: async (a, w) => a.post('/api/shift-requests').send({ shiftId: (await freshCrewShift(w)).shiftId, kind: 'drop' }),
  },
  {
    route: 'GET /shift-requests/:id',
    label: 'a drop asked by "crew"',
    expected: { anonymous: 401, crew: 200, otherCrew: 404, crewOfBoth: 404, manager: 200, otherManager: 404, managerOfBoth: 200, admin: 200 },
    send: async (a, w) => a.get(`/api/shift-requests/${(await freshCrewShift(w, true)).requestId}`),
  },
  {
    route: 'PATCH /shift-requests/:id',
    label: 'approving a drop asked by "crew"',
    expected: { anonymous: 401, crew: 403, otherCrew: 404, crewOfBoth: 404, manager: 200, otherManager: 404, managerOfBoth: 200, admin: 200 },
    send: async (a, w) => a.patch(`/api/shift-requests/${(await freshCrewShift(w, true)).requestId}`).send({ action: 'approve' }),
    check: (res) => expect(res.body.status).toBe('approved'),
  },
  { route: 'GET /notifications', expected: signedIn(200), send: (a) => a.get('/api/notifications') },
  { route: 'POST /notifications/read', expected: signedIn(204), send: (a) => a.post('/api/notifications/read').send({}) },
  {
    route: 'POST /users/:id/calendar-feed',
    label: 'one’s own',
    expected: signedIn(201),
    send: (a, w, caller) => a.post(`/api/users/${caller === 'anonymous' ? w.subject.id : w.accounts[caller].id}/calendar-feed`),
  },
  {
    route: 'POST /users/:id/calendar-feed',
    label: 'a crew member of A’s: the person only, never their manager or an admin',
    expected: { anonymous: 401, crew: 404, otherCrew: 404, crewOfBoth: 404, manager: 403, otherManager: 404, managerOfBoth: 403, admin: 403 },
    send: (a, w) => a.post(`/api/users/${w.subject.id}/calendar-feed`),
  },
  {
    route: 'GET /calendar/:token.ics',
    label: 'a live address: whoever holds it, with or without a session',
    expected: all(200),
    send: (a, w) => a.get(w.calendarFeed),
  },
  {
    route: 'GET /calendar/:token.ics',
    label: 'an address replaced since',
    expected: all(404),
    send: (a, w) => a.get(w.oldCalendarFeed),
  },
  {
    route: 'GET /metrics',
    expected: { anonymous: 401, crew: 403, otherCrew: 403, crewOfBoth: 403, manager: 403, otherManager: 403, managerOfBoth: 403, admin: 200 },
    send: (a) => a.get('/api/metrics'),
  },
];

beforeAll(async () => {
  t = await createTestApp();
  const db = t.deps.database.db;
  const [a, b] = await Promise.all([insertLocation(db, { timezone: 'UTC' }), insertLocation(db, { timezone: 'UTC' })]);
  const accounts = {
    crew: await makeAccount(db, 'crew', [a.id]),
    otherCrew: await makeAccount(db, 'crew', [b.id]),
    crewOfBoth: await makeAccount(db, 'crew', [a.id, b.id]),
    manager: await makeAccount(db, 'manager', [a.id]),
    otherManager: await makeAccount(db, 'manager', [b.id]),
    managerOfBoth: await makeAccount(db, 'manager', [a.id, b.id]),
    admin: await makeAccount(db, 'admin'),
  };
  publishedWeek = uniqueMonday();
  const week = async (locationId: number, status: 'draft' | 'published', weekStart = uniqueMonday()) => {
    const [row] = await db
      .insert(schedules)
      .values({ locationId, weekStart, status, publishedAt: status === 'published' ? new Date() : null })
      .returning();
    return row!;
  };
  const published = await week(a.id, 'published', publishedWeek);
  const draft = await week(a.id, 'draft');
  // Late on the Sunday, after every hour the open shifts of the claim rows use.
  const shiftOfBoth = async (schedule: { id: number; weekStart: string }) => {
    const start = new Date(Date.parse(`${schedule.weekStart}T22:30:00Z`) + 6 * 86_400_000);
    const [row] = await db
      .insert(shifts)
      .values({ scheduleId: schedule.id, userId: accounts.crewOfBoth.id, position: 'Bar', startsAt: start, endsAt: new Date(start.getTime() + 3600_000) })
      .returning({ id: shifts.id });
    return row!.id;
  };
  world = {
    locationA: a.id,
    locationB: b.id,
    accounts,
    subject: await makeAccount(db, 'crew', [a.id]),
    sharedShifts: {
      publishedA: await shiftOfBoth(published),
      draftA: await shiftOfBoth(draft),
      publishedB: await shiftOfBoth(await week(b.id, 'published')),
      draftB: await shiftOfBoth(await week(b.id, 'draft')),
    },
    published: published.id,
    draft: draft.id,
    openShift: 0,
    calendarFeed: '',
    oldCalendarFeed: '',
  };
  world.openShift = await freshOpenShift(world.published, publishedWeek);
  const subject = await signIn(t.app, world.subject);
  world.oldCalendarFeed = (await subject.post(`/api/users/${world.subject.id}/calendar-feed`).expect(201)).body.url;
  world.calendarFeed = (await subject.post(`/api/users/${world.subject.id}/calendar-feed`).expect(201)).body.url;
  agents.set('anonymous', request.agent(t.app));
  for (const caller of CALLERS.filter((c) => c !== 'anonymous')) {
    agents.set(caller, await signIn(t.app, accounts[caller as Exclude<Caller, 'anonymous'>]));
  }
});
afterAll(() => t.close());

/** Runs a row's check, naming the caller when it fails. */
function checkAs(caller: Caller, check: () => void): void {
  try {
    check();
  } catch (err) {
    throw new Error(`as ${caller}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

describe('authorization matrix', () => {
  it('has a row for every route the app serves', () => {
    const served = createRoutes(t.deps).routes.map((r) => `${r.method.toUpperCase()} ${r.path}`);
    const covered = new Set(ROWS.map((r) => r.route));
    expect(served.filter((route) => !covered.has(route))).toEqual([]);
    expect([...covered].filter((route) => !served.includes(route))).toEqual([]);
  });

  for (const row of ROWS) {
    it(`${row.route}${row.label ? ` (${row.label})` : ''}`, async () => {
      const actual: Partial<Expected> = {};
      for (const caller of CALLERS) {
        const res = await row.send(agents.get(caller)!, world, caller);
        actual[caller] = res.status;
        if (res.status >= 400) expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
        else checkAs(caller, () => row.check?.(res, world, caller));
      }
      expect(actual).toEqual(row.expected);
    });
  }
});
