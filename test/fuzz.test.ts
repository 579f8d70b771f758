import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import { MAX_ID } from '../shared/schemas/common.js';
import { addWeeks, localInstant } from '../shared/time.js';
import { PASSWORD, ProblemBody, createApiTestApp, scenario, type Agent, type Person, type Scenario } from './support/api.js';
import { withFreshDatabase } from './support/fresh-database.js';
import type { TestApp } from './support/test-app.js';

/**
 * Property-based tests over the inputs of every endpoint: wrong types, empty and huge strings,
 * unicode (NUL, lone surrogates, right-to-left marks), ids out of range, malformed dates, unknown
 * fields, bodies that are not objects or not JSON. Whatever arrives, the answer is never a 5xx,
 * an error is always problem+json, and a 4xx changes nothing: every row of every table reads the
 * same before and after. The suite runs on a database of its own, so "every row" means exactly
 * that, whatever other suites do meanwhile.
 */

const RUNS = 30;

let t: TestApp;
let s: Scenario;
let releaseDatabase: () => void = () => {};
let databaseDropped: Promise<unknown> = Promise.resolve();

interface World {
  admin: Person;
  manager: Person;
  crew: Person;
  /** Signs in only to change their password. */
  passwordChanger: Person;
  /** Users the fuzzer may patch or deactivate. */
  targets: Person[];
  inactive: Person;
  home: { id: number };
  away: { id: number };
  /** Has schedules, so cannot be deleted. */
  busyLocation: { id: number };
  draft: { id: number; weekStart: string };
  published: { id: number; weekStart: string };
  assignedShift: { id: number };
  openShift: { id: number };
}
let w: World;

beforeAll(async () => {
  const url = await new Promise<string>((resolve, reject) => {
    databaseDropped = withFreshDatabase(
      (_handle, freshUrl) =>
        new Promise<void>((release) => {
          releaseDatabase = release;
          resolve(freshUrl);
        }),
    ).catch(reject);
  });
  t = await createApiTestApp('fuzz', { DATABASE_URL: url });
  s = scenario(t);
  const [home, away] = await Promise.all([s.location({ name: 'Home' }), s.location({ name: 'Away', timezone: 'America/New_York' })]);
  const draft = await s.schedule(home, { weekStart: '2027-03-22' });
  const published = await s.schedule(home, { weekStart: '2027-03-29', status: 'published' });
  const admin = await s.admin();
  const manager = await s.manager([home]);
  const crew = await s.crew([home]);
  const at = (weekStart: string, day: number, time: string) => localInstant(weekStart, day, time, 'Europe/Amsterdam');
  w = {
    admin,
    manager,
    crew,
    passwordChanger: await s.crew([home]),
    targets: [await s.crew([home]), await s.crew([home, away])],
    inactive: await s.crew([home], { active: false }),
    home: home,
    away: away,
    busyLocation: home,
    draft: { id: draft.id, weekStart: draft.weekStart },
    published: { id: published.id, weekStart: published.weekStart },
    assignedShift: await s.shift(draft, { userId: crew.id, startsAt: at(draft.weekStart, 1, '09:00'), endsAt: at(draft.weekStart, 1, '17:00') }),
    openShift: await s.shift(published, { startsAt: at(published.weekStart, 2, '09:00'), endsAt: at(published.weekStart, 2, '17:00') }),
  };
});

afterAll(async () => {
  await t?.close();
  releaseDatabase();
  await databaseDropped;
});

/** Every row of every table, in a stable order. */
async function snapshot(): Promise<string> {
  const db = t.deps.database.db;
  const tables = ['users', 'locations', 'location_members', 'schedules', 'shifts'];
  const results = await Promise.all(tables.map((table) => db.execute(sql.raw(`select * from ${table} order by 1, 2`))));
  return JSON.stringify(results.map((r) => (r as unknown as { rows: unknown[] }).rows));
}

// ---- what arrives --------------------------------------------------------------------------
//
// Each request starts out plausible (right types, values at and around the edges: unicode, empty,
// too long, ids nobody has, dates that do not exist), so it reaches the services and the
// database; then, often, one thing about it is made wrong: a field of the wrong
// type, a missing field, an unknown field, a body that is no object or no JSON.

const EDGY_TEXT = [
  '',
  ' ',
  '\t\n',
  'Zoë',
  '山田 太郎',
  '🙂 Party',
  '\u202eevil',
  'a\u0000b',
  '\u0000',
  'Bar \ud800',
  '\udfff',
  'x'.repeat(80),
  'x'.repeat(81),
  'x'.repeat(120),
  'x'.repeat(121),
  'x'.repeat(20_000),
  "'; drop table users; --",
  '%_\\',
  '<script>alert(1)</script>',
  '__proto__',
];
const MALFORMED_DATES = [
  '2027-02-30',
  '2027-13-01',
  '2027-00-10',
  '27-03-22',
  '2027-03-22T',
  '2027-03-28T02:30:00',
  '2027-03-28T25:00:00Z',
  '2027-03-22T10:00:00+99:00',
  '0000-01-01',
  '0000-01-03',
  '0000-01-01T00:00:00Z',
  '0099-06-01T00:00:00Z',
  '1899-12-25',
  '1899-12-31T23:59:59Z',
  '9999-01-04',
  '9999-06-01T00:00:00Z',
  '9999-12-31T23:59:59-14:00',
  '+275760-09-13T00:00:00.000Z',
  '2027-W12-1',
  'yesterday',
  '1e10',
];
const BAD_IDS = ['abc', '0', '-1', '2147483648', '99999999999999999999', '1e3', '0x10', '1.0', '007', '%20%207', '%E0%A4%A', '%00', '..', 'null'];

/** Mostly a valid value, now and then one at or past the edge. */
const mostly = <T, U>(valid: fc.Arbitrary<T>, edgy: fc.Arbitrary<U>) =>
  fc.oneof({ weight: 5, arbitrary: valid as fc.Arbitrary<T | U> }, { weight: 1, arbitrary: edgy as fc.Arbitrary<T | U> });

const visible = (v: string) => v.trim().length > 0;
/** Text of the right type: ordinary, unicode of every plane, or one of the edge cases above. */
const text = mostly(
  fc.oneof(
    fc.string({ minLength: 1, maxLength: 30 }).filter(visible),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 30 }).filter(visible),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 15 }).filter(visible),
  ),
  fc.constantFrom(...EDGY_TEXT),
);
/** The same, short enough for a URL: Node itself refuses request heads over 16 KB (431) before the app sees them. */
const param = text.map((v) => v.slice(0, 3000));
const nastyNumber = fc.oneof(fc.integer(), fc.double(), fc.constantFrom(0, -1, MAX_ID, MAX_ID + 1, 2 ** 53, 1e308, -0, 1.5));
/** Anything JSON can carry, mostly of a type no field expects. */
const wrong: fc.Arbitrary<unknown> = fc.oneof(
  text,
  nastyNumber,
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.oneof(fc.integer(), fc.string({ maxLength: 5 })), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 2 }),
);

const missingId = fc.integer({ min: 2_000_000_000, max: MAX_ID });
/** An id in a body: one of the world's, or one nobody has. */
const someId = (...known: number[]) => fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...known) }, { weight: 1, arbitrary: missingId });
/** A path segment: mostly an id of the world's own or one nobody has, sometimes not an id at all. */
const pathId = (...known: number[]) =>
  fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom(...known).map(String) },
    { weight: 1, arbitrary: missingId.map(String) },
    { weight: 2, arbitrary: fc.constantFrom(...BAD_IDS) },
    { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 12 }).map(encodeURIComponent) },
  );

const MINUTE = 60_000;
/** An instant in the week or a few hours either side, to the minute. */
const instantAround = (weekStart: string) =>
  fc.integer({ min: -6 * 60, max: 7 * 24 * 60 + 6 * 60 }).map((m) => new Date(Date.parse(`${weekStart}T00:00:00Z`) + m * MINUTE).toISOString());
/** A start around the week and an end from an hour before to 17 hours after it, or a malformed date. */
const shiftTimes = (weekStart: string) =>
  fc.oneof(
    { weight: 10, arbitrary: fc.tuple(instantAround(weekStart), fc.integer({ min: -60, max: 17 * 60 })).map(([startsAt, minutes]) => ({ startsAt, endsAt: new Date(Date.parse(startsAt) + minutes * MINUTE).toISOString() })) },
    { weight: 1, arbitrary: fc.record({ startsAt: fc.constantFrom(...MALFORMED_DATES), endsAt: instantAround(weekStart) }) },
  );
const monday = fc.integer({ min: -400, max: 400 }).map((weeks) => addWeeks('2027-03-22', weeks));
const calendarDate = mostly(
  fc.date({ min: new Date('2000-01-01'), max: new Date('2040-01-01'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)),
  fc.constantFrom(...MALFORMED_DATES),
);
const limit = mostly(fc.integer({ min: 1, max: 200 }), fc.constantFrom(0, -1, 201, 1000, '01', '1e2', '', ' 5', 'all'));
/**
 * A cursor of the shape this list issues (forged, but well formed, so it reaches the query), or a
 * cursor of another list, of nonsense, or no cursor at all.
 */
const encoded = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
const cursorOf = (valid: fc.Arbitrary<Record<string, unknown>>) =>
  mostly(
    valid.map(encoded),
    fc.oneof(
      fc.record({ id: wrong }).map(encoded),
      fc.record({ weekStart: fc.constantFrom(...MALFORMED_DATES), id: fc.integer({ min: 1, max: 50 }) }).map(encoded),
      fc.record({ startsAt: fc.constantFrom(...MALFORMED_DATES), id: fc.integer({ min: 1, max: 50 }) }).map(encoded),
      fc.json().map((j) => Buffer.from(j).toString('base64url')),
      fc.string({ maxLength: 30 }),
    ),
  );
const smallId = fc.integer({ min: 1, max: 60 });
const cursors = {
  users: cursorOf(fc.record({ id: smallId })),
  locations: cursorOf(fc.record({ name: text, id: smallId })),
  schedules: cursorOf(fc.record({ weekStart: monday, id: smallId })),
  shifts: cursorOf(fc.record({ startsAt: instantAround('2027-03-22'), id: smallId })),
};

type Mutation = { kind: 'none' } | { kind: 'replace'; key: string; value: unknown } | { kind: 'drop'; key: string } | { kind: 'extra'; key: string; value: unknown };

/** At most one thing wrong with an otherwise plausible object. */
function mutate<T extends Record<string, unknown>>(plausible: fc.Arbitrary<T>, keys: string[], extra: fc.Arbitrary<unknown> = wrong): fc.Arbitrary<Record<string, unknown>> {
  const key = fc.constantFrom(...keys);
  const mutation: fc.Arbitrary<Mutation> = fc.oneof(
    { weight: 6, arbitrary: fc.constant({ kind: 'none' as const }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('replace' as const), key, value: wrong }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('drop' as const), key }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('extra' as const), key: fc.string({ minLength: 1, maxLength: 12 }), value: extra }) },
  );
  return fc.tuple(plausible, mutation).map(([value, m]) => {
    const out: Record<string, unknown> = { ...value };
    if (m.kind === 'replace' || m.kind === 'extra') out[m.key] = m.value;
    if (m.kind === 'drop') delete out[m.key];
    return out;
  });
}

interface Payload {
  type: string;
  text: string;
}
/** A JSON body: mostly a (mutated) object; now and then no object, no JSON, or not JSON at all. */
function body(fields: Record<string, fc.Arbitrary<unknown>>, required: string[] = []): fc.Arbitrary<Payload> {
  const object = mutate(fc.record(fields, { requiredKeys: required }), Object.keys(fields));
  return fc.oneof(
    { weight: 14, arbitrary: object.map((v) => ({ type: 'application/json', text: JSON.stringify(v) })) },
    { weight: 1, arbitrary: wrong.map((v) => ({ type: 'application/json', text: JSON.stringify(v) ?? 'null' })) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        { type: 'application/json', text: '{"name":' },
        { type: 'application/json', text: '{"a":1}{"b":2}' },
        { type: 'application/json; charset=latin1', text: '{}' },
        { type: 'text/plain', text: '{"name":"x"}' },
        { type: 'application/x-www-form-urlencoded', text: 'name=x&timezone=UTC' },
        { type: 'application/json', text: JSON.stringify({ notes: 'x'.repeat(1024 * 1024 + 1) }) },
      ),
    },
  );
}

/** Query parameters: some of these, at most one of them repeated, bracketed or unknown. */
function query(params: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<Record<string, unknown>> {
  const plausible = fc.record(Object.fromEntries(Object.entries(params).map(([k, v]) => [k, v.map(String)])), { requiredKeys: [] });
  const repeated = fc.array(fc.string({ maxLength: 5 }), { minLength: 2, maxLength: 3 });
  return mutate(plausible, Object.keys(params).length ? Object.keys(params) : ['x'], fc.oneof(param, repeated)).map((q) =>
    // Query values are strings (or repeated strings): what a URL can say.
    Object.fromEntries(Object.entries(q).map(([k, v]) => [k, Array.isArray(v) ? v.map(String) : typeof v === 'string' ? v.slice(0, 3000) : JSON.stringify(v)])),
  );
}

// ---- the endpoints ---------------------------------------------------------------------------

type Method = 'get' | 'post' | 'patch' | 'delete';
interface Call {
  method: Method;
  path: string;
  query?: Record<string, unknown>;
  body?: Payload;
}
interface Endpoint {
  route: string;
  /** Who sends it (default: the admin, who reaches the most code). */
  as?: () => Agent;
  call: () => fc.Arbitrary<Call>;
}

const email = () =>
  mostly(
    fc.tuple(fc.stringMatching(/^[a-z][a-z0-9.]{0,20}$/), fc.constantFrom('example.com', 'crew.test', 'xn--bcher-kva.example')).map(([local, domain]) => `${local}@${domain}`),
    fc.oneof(
      fc.emailAddress(),
      fc.constantFrom(w.admin.email, w.crew.email.toUpperCase(), ` ${w.manager.email} `, 'a@b', '@x.y', `${'x'.repeat(250)}@b.co`),
    ),
  );
const password = mostly(fc.string({ minLength: 12, maxLength: 40 }), fc.constantFrom('x'.repeat(11), 'x'.repeat(12), 'x'.repeat(256), 'x'.repeat(257), PASSWORD, ''));
const phone = mostly(fc.constantFrom('+31 20 555 0100', '(020) 555-0100', '', null), fc.oneof(fc.constantFrom('12', 'call me'), text));
const role = mostly(fc.constantFrom('admin', 'manager', 'crew'), fc.constantFrom('owner', 'ADMIN', ''));
const memberships = () =>
  fc.array(fc.record({ locationId: someId(w.home.id, w.away.id), position: fc.option(text) }, { requiredKeys: ['locationId'] }), { maxLength: 3 });
const locationIds = () => fc.array(someId(w.home.id, w.away.id), { maxLength: 3 });

/** Locations as ids or as memberships with positions (sending both is refused, and tried now and then). */
const withPlaces = (fields: Record<string, fc.Arbitrary<unknown>>, required: string[]) =>
  fc.oneof(
    { weight: 3, arbitrary: body({ ...fields, locationIds: locationIds() }, required) },
    { weight: 3, arbitrary: body({ ...fields, memberships: memberships() }, required) },
    { weight: 1, arbitrary: body({ ...fields, locationIds: locationIds(), memberships: memberships() }, required) },
  );
const createUserBody = () => withPlaces({ email: email(), name: text, role, password, phone }, ['email', 'name', 'role', 'password']);
const patchUserBody = () => withPlaces({ email: email(), name: text, role, password, phone, active: fc.boolean() }, []);

const shiftBody = (weekStart: string, required: string[]) =>
  shiftTimes(weekStart).chain((times) =>
    body(
      {
        userId: fc.option(someId(w.crew.id, w.manager.id, w.inactive.id, w.targets[1]!.id, w.admin.id)),
        position: text,
        startsAt: fc.constant(times.startsAt),
        endsAt: fc.constant(times.endsAt),
        notes: fc.option(text),
      },
      required,
    ),
  );

const get = (path: fc.Arbitrary<string>, q: fc.Arbitrary<Record<string, unknown>> = query({})) => fc.record({ method: fc.constant<Method>('get'), path, query: q });
const send = (method: Method, path: fc.Arbitrary<string>, b?: fc.Arbitrary<Payload>) =>
  b ? fc.record({ method: fc.constant(method), path, body: b }) : fc.record({ method: fc.constant(method), path });

const endpoints: Endpoint[] = [
  {
    route: 'POST /api/auth/login',
    as: () => s.anonymous() as unknown as Agent,
    call: () => send('post', fc.constant('/api/auth/login'), body({ email: fc.oneof(fc.constantFrom(w.crew.email, w.inactive.email), email()), password }, ['email', 'password'])),
  },
  {
    route: 'POST /api/auth/password',
    as: () => w.passwordChanger.agent,
    call: () => send('post', fc.constant('/api/auth/password'), body({ currentPassword: text, newPassword: password }, ['currentPassword', 'newPassword'])),
  },
  {
    route: 'POST /api/auth/logout',
    as: () => s.anonymous() as unknown as Agent,
    call: () => send('post', fc.constant('/api/auth/logout'), body({ everywhere: wrong })),
  },
  { route: 'GET /api/auth/me', call: () => get(fc.constant('/api/auth/me'), query({ user: fc.integer() })) },
  { route: 'GET /api/auth/session', call: () => get(fc.constant('/api/auth/session'), query({ user: fc.integer() })) },
  {
    route: 'GET /api/users',
    call: () =>
      get(
        fc.constant('/api/users'),
        query({ role, locationId: someId(w.home.id, w.away.id), active: mostly(fc.constantFrom('true', 'false'), fc.constantFrom('1', 'yes')), q: param, limit, cursor: cursors.users }),
      ),
  },
  { route: 'GET /api/users/:id', call: () => get(pathId(w.admin.id, w.crew.id, w.inactive.id).map((id) => `/api/users/${id}`)) },
  { route: 'POST /api/users', call: () => send('post', fc.constant('/api/users'), createUserBody()) },
  {
    route: 'PATCH /api/users/:id',
    call: () => send('patch', pathId(w.targets[0]!.id, w.targets[1]!.id).map((id) => `/api/users/${id}`), patchUserBody()),
  },
  {
    route: 'PATCH /api/users/:id (oneself, as crew)',
    as: () => w.crew.agent,
    call: () => send('patch', fc.constant(`/api/users/${w.crew.id}`), patchUserBody()),
  },
  { route: 'DELETE /api/users/:id', call: () => send('delete', pathId(w.inactive.id, w.admin.id).map((id) => `/api/users/${id}`)) },
  {
    route: 'GET /api/users/:id/shifts',
    call: () =>
      get(
        pathId(w.crew.id, w.admin.id).map((id) => `/api/users/${id}/shifts`),
        query({ from: fc.oneof(instantAround(w.draft.weekStart), calendarDate), to: fc.oneof(instantAround(w.published.weekStart), calendarDate), limit, cursor: cursors.shifts }),
      ),
  },
  { route: 'GET /api/locations', call: () => get(fc.constant('/api/locations'), query({ limit, cursor: cursors.locations })) },
  { route: 'GET /api/locations/:id', call: () => get(pathId(w.home.id, w.away.id).map((id) => `/api/locations/${id}`)) },
  {
    route: 'POST /api/locations',
    call: () =>
      send(
        'post',
        fc.constant('/api/locations'),
        body(
          {
            name: text,
            address: fc.option(text),
            timezone: fc.oneof(
              { weight: 3, arbitrary: fc.constantFrom('Europe/Amsterdam', 'UTC', 'europe/amsterdam', 'Etc/GMT+5', 'America/Argentina/Buenos_Aires') },
              { weight: 1, arbitrary: fc.constantFrom('system', 'local', 'default', 'UTC+5', '+01:00', 'Mars/Base', 'CEST', '') },
              { weight: 1, arbitrary: text },
            ),
          },
          ['name', 'timezone'],
        ),
      ),
  },
  {
    route: 'PATCH /api/locations/:id',
    call: () =>
      send(
        'patch',
        pathId(w.away.id).map((id) => `/api/locations/${id}`),
        body({ name: text, address: fc.option(text), timezone: mostly(fc.constantFrom('America/New_York', 'Asia/Tokyo'), fc.constantFrom('Nowhere/Land', 'system', '')) }),
      ),
  },
  { route: 'DELETE /api/locations/:id', call: () => send('delete', pathId(w.busyLocation.id).map((id) => `/api/locations/${id}`)) },
  {
    route: 'GET /api/schedules',
    call: () =>
      get(
        fc.constant('/api/schedules'),
        query({
          locationId: someId(w.home.id, w.away.id),
          from: fc.oneof(monday, calendarDate),
          to: fc.oneof(monday, calendarDate),
          status: mostly(fc.constantFrom('draft', 'published'), fc.constant('other')),
          limit,
          cursor: cursors.schedules,
        }),
      ),
  },
  {
    route: 'POST /api/schedules',
    call: () =>
      send(
        'post',
        fc.constant('/api/schedules'),
        body(
          {
            locationId: someId(w.home.id, w.away.id),
            weekStart: fc.oneof({ weight: 4, arbitrary: monday }, { weight: 1, arbitrary: calendarDate }, { weight: 1, arbitrary: fc.constantFrom(w.draft.weekStart) }),
            copyFromScheduleId: someId(w.draft.id, w.published.id),
          },
          ['locationId', 'weekStart'],
        ),
      ),
  },
  { route: 'GET /api/schedules/:id', call: () => get(pathId(w.draft.id, w.published.id).map((id) => `/api/schedules/${id}`)) },
  {
    route: 'PATCH /api/schedules/:id',
    call: () => send('patch', pathId(w.draft.id).map((id) => `/api/schedules/${id}`), body({ status: mostly(fc.constantFrom('draft', 'published'), fc.constantFrom('archived', 'DRAFT')) }, ['status'])),
  },
  { route: 'DELETE /api/schedules/:id', call: () => send('delete', pathId(w.published.id).map((id) => `/api/schedules/${id}`)) },
  {
    route: 'POST /api/schedules/:id/shifts',
    call: () => send('post', pathId(w.draft.id, w.published.id).map((id) => `/api/schedules/${id}/shifts`), shiftBody(w.draft.weekStart, ['position', 'startsAt', 'endsAt'])),
  },
  {
    route: 'PATCH /api/schedules/:id/shifts/:shiftId',
    call: () =>
      send(
        'patch',
        fc.tuple(pathId(w.draft.id, w.published.id), pathId(w.assignedShift.id, w.openShift.id)).map(([id, shiftId]) => `/api/schedules/${id}/shifts/${shiftId}`),
        shiftBody(w.draft.weekStart, []),
      ),
  },
  {
    route: 'DELETE /api/schedules/:id/shifts/:shiftId',
    call: () => send('delete', fc.tuple(pathId(w.published.id), pathId(w.assignedShift.id)).map(([id, shiftId]) => `/api/schedules/${id}/shifts/${shiftId}`)),
  },
  {
    route: 'POST /api/schedules/:id/shifts/:shiftId/claim',
    as: () => w.crew.agent,
    call: () => send('post', fc.tuple(pathId(w.published.id, w.draft.id), pathId(w.openShift.id, w.assignedShift.id)).map(([id, shiftId]) => `/api/schedules/${id}/shifts/${shiftId}/claim`)),
  },
  {
    route: 'GET /api/health, /api/health/*, /api/openapi.json, /api/metrics',
    call: () => get(fc.constantFrom('/api/health', '/api/health/live', '/api/health/redis', '/api/openapi.json', '/api/metrics'), query({ format: text })),
  },
];

async function perform(agent: Agent, call: Call) {
  let req = agent[call.method](call.path);
  if (call.query) req = req.query(call.query as Record<string, string>);
  if (call.body) req = req.set('Content-Type', call.body.type).send(call.body.text);
  return req;
}

/** The invariant: no 5xx; errors are problem+json; a 4xx (or any GET) leaves every row as it was. */
async function holds(agent: Agent, call: Call): Promise<number> {
  const before = await snapshot();
  const res = await perform(agent, call);
  const summary = `${call.method.toUpperCase()} ${call.path} → ${res.status} ${res.text.slice(0, 300)}`;
  expect({ summary, serverError: res.status >= 500 }).toEqual({ summary, serverError: false });
  if (res.status >= 400) {
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    const problem = ProblemBody.parse(res.body);
    expect(problem.status).toBe(res.status);
    expect(res.text).not.toMatch(/\bselect .* from |insert into|crewplots-test-|\.ts:\d+/i);
  }
  if (res.status >= 400 || call.method === 'get') {
    const after = await snapshot();
    expect({ summary, unchanged: after === before }).toEqual({ summary, unchanged: true });
  }
  return res.status;
}

/** Every status each endpoint answered in its own property run, by route. */
const answered = new Map<string, number[]>();

describe('every endpoint, whatever it is sent', () => {
  it.each(endpoints.map((e) => [e.route, e] as const))('%s: never a 5xx, and a 4xx changes nothing', async (_route, endpoint) => {
    const agent = endpoint.as?.() ?? w.admin.agent;
    await fc.assert(
      fc.asyncProperty(endpoint.call(), async (call) => {
        answered.set(endpoint.route, [...(answered.get(endpoint.route) ?? []), await holds(agent, call)]);
      }),
      { numRuns: RUNS },
    );
  });

  it('any caller, any endpoint: the same holds, and no one’s session is lost to a refused request', async () => {
    const callers = () => [w.admin.agent, w.manager.agent, w.crew.agent, s.anonymous() as unknown as Agent];
    const arbitrary = fc.tuple(
      fc.integer({ min: 0, max: 3 }),
      fc.oneof(...endpoints.filter((e) => !e.as).map((e) => e.call())),
    );
    const byCaller: number[][] = [[], [], [], []];
    await fc.assert(
      fc.asyncProperty(arbitrary, async ([who, call]) => {
        byCaller[who]!.push(await holds(callers()[who]!, call));
      }),
      { numRuns: RUNS * 3 },
    );
    for (const person of [w.admin, w.manager, w.crew]) await person.agent.get('/api/auth/me').expect(200);
    // Every signed-in caller was both served and refused, and the anonymous one refused for want of a session.
    const kinds = byCaller.map((statuses) => [...new Set(statuses.map((status) => (status < 300 ? 'served' : status === 401 ? 'unauthenticated' : 'refused')))].sort());
    expect(kinds.slice(0, 3).map((k) => k.filter((kind) => kind !== 'unauthenticated'))).toEqual([['refused', 'served'], ['refused', 'served'], ['refused', 'served']]);
    expect(kinds[3]).toContain('unauthenticated');
  });

  it('reached past validation: most endpoints served some requests, and the refusals came from every rule', () => {
    // A generator that only ever produced malformed requests would leave the invariants above
    // untested where it matters: in the services and the database.
    const served = [...answered].filter(([, statuses]) => statuses.some((status) => status < 300)).map(([route]) => route);
    expect(served.length).toBeGreaterThanOrEqual(endpoints.length / 2);
    const all = new Set([...answered.values()].flat());
    for (const status of [200, 201, 204, 400, 401, 404, 409, 415, 422]) expect({ status, seen: all.has(status) }).toEqual({ status, seen: true });
  });
});
