import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { createRoutes } from '../server/app.js';
import { eq } from 'drizzle-orm';
import { accessLinks, schedules, shiftRequests, shifts, timeOff, users } from '../server/db/schema.js';
import { newToken, tokenHash } from '../server/accounts/tokens.js';
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
  /** Who the answer is about when it is not the caller (login answers to the account signed in). */
  answeredTo?(w: World, caller: Caller): Account;
  /** What a successful answer must hold for this caller, beyond its status. */
  check?(res: request.Response, world: World, caller: Caller): void;
}

/** The token of a new invite for a fresh crew member of A, stored as the server stores one. */
async function freshLinkToken(w: World): Promise<string> {
  const person = await makeAccount(t.deps.database.db, 'crew', [w.locationA]);
  const token = newToken();
  await t.deps.database.db.insert(accessLinks).values({ userId: person.id, tokenHash: tokenHash(token)!, kind: 'invite', expiresAt: new Date(Date.now() + 3_600_000) });
  return token;
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
let draftWeek = '';

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

/** Each account's hourly rate, by user id. */
const rates = new Map<number, string>();

/**
 * API.md: `hourlyRate` reaches admins, managers who share a location with the person, and the
 * person. Every answer of every row is searched for the rates of the people the caller may not see.
 */
function expectNoForeignRates(res: request.Response, w: World, caller: Caller, me = caller === 'anonymous' ? undefined : w.accounts[caller]): void {
  const people = [...Object.values(w.accounts), w.subject];
  const forbidden = people.filter((p) => {
    if (!me) return true;
    if (me.role === 'admin' || me.id === p.id) return false;
    const mine = locationsOf(w, me.id);
    return !(me.role === 'manager' && locationsOf(w, p.id).some((l) => mine.includes(l)));
  });
  const leaked = forbidden.filter((p) => res.text?.includes(`"hourlyRate":"${rates.get(p.id)}"`));
  expect(leaked.map((p) => p.id)).toEqual([]);
}

function locationsOf(w: World, userId: number): number[] {
  const a = w.accounts;
  const inA = [a.crew.id, a.manager.id, w.subject.id].includes(userId);
  const inB = [a.otherCrew.id, a.otherManager.id].includes(userId);
  const inBoth = [a.crewOfBoth.id, a.managerOfBoth.id].includes(userId);
  return inBoth ? [w.locationA, w.locationB] : inA ? [w.locationA] : inB ? [w.locationB] : [];
}

/** Fresh pending time off of the subject, for rows that decide or withdraw it. */
async function freshTimeOff(w: World, userId = w.subject.id): Promise<number> {
  const [row] = await t.deps.database.db.insert(timeOff).values({ userId, startsOn: '2031-01-06', endsOn: '2031-01-07' }).returning({ id: timeOff.id });
  return row!.id;
}

/** Managers and admins of location A; crew who see its published week get 403, the rest 404. */
const managersOfA: Expected = { anonymous: 401, crew: 403, otherCrew: 404, crewOfBoth: 403, manager: 200, otherManager: 404, managerOfBoth: 200, admin: 200 };
/** The subject (crew of A) as a person: seen by managers sharing a location and admins. */
const aboutSubject = (status: number): Expected => ({ anonymous: 401, crew: 404, otherCrew: 404, crewOfBoth: 404, manager: status, otherManager: 404, managerOfBoth: status, admin: status });

const ROWS: Row[] = [
  { route: 'GET /health/live', expected: all(200), send: (a) => a.get('/api/health/live') },
  { route: 'GET /health/redis', expected: all(200), send: (a) => a.get('/api/health/redis') },
  { route: 'GET /health', expected: all(200), send: (a) => a.get('/api/health') },
  { route: 'GET /openapi.json', expected: all(200), send: (a) => a.get('/api/openapi.json') },
  {
    route: 'POST /auth/login',
    expected: all(200),
    answeredTo: (w, caller) => (caller === 'anonymous' ? w.subject : w.accounts[caller]),
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
  {
    route: 'POST /auth/logout-others',
    expected: signedIn(204),
    // A fresh account of the caller's role: ending the caller's other sessions would end the ones the other rows use.
    send: async (_a, w, caller) => {
      if (caller === 'anonymous') return request(t.app).post('/api/auth/logout-others');
      return (await signIn(t.app, await makeAccount(t.deps.database.db, w.accounts[caller].role))).post('/api/auth/logout-others');
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
  { route: 'GET /setup', expected: all(200), send: (a) => a.get('/api/setup') },
  {
    route: 'POST /setup',
    label: 'once users exist',
    expected: all(409),
    send: (a) => a.post('/api/setup').send({ token: newToken(), name: 'Late Owner', email: uniqueEmail('owner'), password: 'a long enough password' }),
  },
  {
    route: 'GET /access-links/:token',
    expected: all(200),
    send: async (a, w) => a.get(`/api/access-links/${await freshLinkToken(w)}`),
  },
  {
    route: 'POST /access-links/:token',
    expected: all(200),
    // A browser of its own: using the link signs its person in, and the caller's session stays as it is.
    send: async (_a, w) => request(t.app).post(`/api/access-links/${await freshLinkToken(w)}`).send({ password: 'a long enough password' }),
  },
  {
    route: 'POST /users/:id/access-link',
    expected: { anonymous: 401, crew: 404, otherCrew: 404, crewOfBoth: 404, manager: 201, otherManager: 404, managerOfBoth: 201, admin: 201 },
    send: (a, w) => a.post(`/api/users/${w.subject.id}/access-link`),
  },
  {
    route: 'POST /users/:id/access-link',
    label: 'crew at A and B: a manager of only one of them may not',
    expected: { anonymous: 401, crew: 404, otherCrew: 404, crewOfBoth: 404, manager: 403, otherManager: 403, managerOfBoth: 201, admin: 201 },
    send: async (a, w) => a.post(`/api/users/${(await freshCrewOfBoth(w)).id}/access-link`),
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
  {
    route: 'GET /locations/:id/weeks/:weekStart',
    label: "A's published week",
    expected: { anonymous: 401, crew: 200, otherCrew: 404, crewOfBoth: 200, manager: 200, otherManager: 404, managerOfBoth: 200, admin: 200 },
    send: (a, w) => a.get(`/api/locations/${w.locationA}/weeks/${publishedWeek}`),
    check: (res, w) => expect(res.body.schedule?.id).toBe(w.published),
  },
  {
    route: 'GET /locations/:id/weeks/:weekStart',
    label: "A's draft week",
    expected: { anonymous: 401, crew: 200, otherCrew: 404, crewOfBoth: 200, manager: 200, otherManager: 404, managerOfBoth: 200, admin: 200 },
    send: (a, w) => a.get(`/api/locations/${w.locationA}/weeks/${draftWeek}`),
    // Crew are told there is no week yet: the draft stays hidden, as GET /schedules/:id's 404 hides it.
    check: (res, w, caller) => expect(res.body.schedule?.id ?? null).toBe(caller.includes('rew') ? null : w.draft),
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
  { route: 'GET /users/:id/availability', expected: aboutSubject(200), send: (a, w) => a.get(`/api/users/${w.subject.id}/availability`) },
  {
    route: 'GET /users/:id/availability',
    label: 'oneself',
    expected: signedIn(200),
    send: (a, w, caller) => a.get(`/api/users/${caller === 'anonymous' ? w.subject.id : w.accounts[caller].id}/availability`),
  },
  {
    route: 'PUT /users/:id/availability',
    expected: aboutSubject(200),
    send: (a, w) => a.put(`/api/users/${w.subject.id}/availability`).send({ unavailable: [{ weekday: 2, from: '06:00', to: '12:00' }] }),
  },
  {
    route: 'PUT /users/:id/availability',
    label: 'oneself',
    expected: signedIn(200),
    send: (a, w, caller) =>
      a.put(`/api/users/${caller === 'anonymous' ? w.subject.id : w.accounts[caller].id}/availability`).send({ unavailable: [{ weekday: 7, from: '00:00', to: '24:00' }] }),
  },
  {
    route: 'GET /time-off',
    expected: signedIn(200),
    send: (a) => a.get('/api/time-off').query({ limit: '200' }),
    check: (res, w, caller) => {
      // Crew see their own time off only.
      if (w.accounts[caller as Exclude<Caller, 'anonymous'>].role === 'crew') {
        expect(res.body.items.every((x: { userId: number }) => x.userId === w.accounts[caller as Exclude<Caller, 'anonymous'>].id)).toBe(true);
      }
    },
  },
  {
    route: 'POST /time-off',
    label: 'oneself: pending, but approved when an admin enters it',
    expected: signedIn(201),
    send: (a) => a.post('/api/time-off').send({ startsOn: '2031-02-03', endsOn: '2031-02-04' }),
    check: (res, _w, caller) => expect(res.body.status).toBe(caller === 'admin' ? 'approved' : 'pending'),
  },
  {
    route: 'POST /time-off',
    label: 'for crew of A: approved at once',
    expected: aboutSubject(201),
    send: (a, w) => a.post('/api/time-off').send({ userId: w.subject.id, startsOn: '2031-02-10', endsOn: '2031-02-10' }),
    check: (res) => expect(res.body.status).toBe('approved'),
  },
  {
    route: 'PATCH /time-off/:id',
    expected: aboutSubject(200),
    send: async (a, w) => a.patch(`/api/time-off/${await freshTimeOff(w)}`).send({ status: 'approved' }),
  },
  {
    route: 'PATCH /time-off/:id',
    label: 'one’s own: no one decides their own',
    expected: signedIn(403),
    send: async (a, w, caller) => a.patch(`/api/time-off/${await freshTimeOff(w, caller === 'anonymous' ? w.subject.id : w.accounts[caller].id)}`).send({ status: 'approved' }),
  },
  {
    route: 'DELETE /time-off/:id',
    expected: aboutSubject(204),
    send: async (a, w) => a.delete(`/api/time-off/${await freshTimeOff(w)}`),
  },
  { route: 'GET /schedules/:id/warnings', expected: managersOfA, send: (a, w) => a.get(`/api/schedules/${w.published}/warnings`) },
  { route: 'GET /schedules/:id/labor', expected: managersOfA, send: (a, w) => a.get(`/api/schedules/${w.published}/labor`) },
  {
    route: 'GET /schedules/:id/changes',
    expected: { anonymous: 401, crew: 403, otherCrew: 404, crewOfBoth: 403, manager: 200, otherManager: 404, managerOfBoth: 200, admin: 200 },
    send: (a, w) => a.get(`/api/schedules/${w.published}/changes`),
  },
  {
    route: 'PUT /schedules/:id/presence',
    label: 'as editing the week answers',
    expected: { anonymous: 401, crew: 403, otherCrew: 404, crewOfBoth: 403, manager: 200, otherManager: 404, managerOfBoth: 200, admin: 200 },
    send: (a, w) => a.put(`/api/schedules/${w.published}/presence`),
  },
  {
    route: 'DELETE /schedules/:id/presence',
    label: 'as editing the week answers',
    expected: { anonymous: 401, crew: 403, otherCrew: 404, crewOfBoth: 403, manager: 204, otherManager: 404, managerOfBoth: 204, admin: 204 },
    send: (a, w) => a.delete(`/api/schedules/${w.published}/presence`),
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
  // A rate of its own for everyone, so any answer that shows one can be told whose it is.
  const subject = await makeAccount(db, 'crew', [a.id]);
  for (const [i, account] of [...Object.values(accounts), subject].entries()) {
    const rate = `${7301 + i}.17`;
    rates.set(account.id, rate);
    await db.update(users).set({ hourlyRate: rate }).where(eq(users.id, account.id));
    await t.deps.cache.invalidate([{ namespace: 'user', id: account.id }]);
  }
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
  draftWeek = draft.weekStart;
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
    subject,
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
  const subjectAgent = await signIn(t.app, world.subject);
  world.oldCalendarFeed = (await subjectAgent.post(`/api/users/${world.subject.id}/calendar-feed`).expect(201)).body.url;
  world.calendarFeed = (await subjectAgent.post(`/api/users/${world.subject.id}/calendar-feed`).expect(201)).body.url;
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

  it('the rate check can fail: a crew member shown a colleague’s rate is caught', () => {
    const colleague = { text: JSON.stringify({ id: world.subject.id, hourlyRate: rates.get(world.subject.id) }) } as request.Response;
    expect(() => expectNoForeignRates(colleague, world, 'crew')).toThrow();
    expect(() => expectNoForeignRates(colleague, world, 'manager')).not.toThrow();
  });

  for (const row of ROWS) {
    it(`${row.route}${row.label ? ` (${row.label})` : ''}`, async () => {
      const actual: Partial<Expected> = {};
      for (const caller of CALLERS) {
        const res = await row.send(agents.get(caller)!, world, caller);
        actual[caller] = res.status;
        if (res.status >= 400) expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
        else checkAs(caller, () => row.check?.(res, world, caller));
        checkAs(caller, () => expectNoForeignRates(res, world, caller, row.answeredTo?.(world, caller)));
      }
      expect(actual).toEqual(row.expected);
    });
  }
});
