import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eq } from 'drizzle-orm';
import { Page } from '../../shared/schemas/common.js';
import { Location } from '../../shared/schemas/locations.js';
import { User } from '../../shared/schemas/users.js';
import { locations } from '../db/schema.js';
import { encodeCursor } from '../http/cursor.js';
import { INVALID_IDS, MISSING_ID, createApiTestApp, expectProblem, scenario, type Person, type Scenario } from '../../test/support/api.js';
import type { TestApp } from '../../test/support/test-app.js';

let t: TestApp;
let s: Scenario;
let harbour: { id: number; name: string };
let plaza: { id: number; name: string };
let admin: Person;
let harbourManager: Person;
let plazaManager: Person;
let harbourCrew: Person;

beforeAll(async () => {
  t = await createApiTestApp('locations');
  s = scenario(t);
  [harbour, plaza] = await Promise.all([
    s.location({ name: 'Harbour Bar', address: 'Kade 1, Amsterdam' }),
    s.location({ name: 'Plaza Cafe', timezone: 'America/New_York' }),
  ]);
  admin = await s.admin();
  harbourManager = await s.manager([harbour]);
  plazaManager = await s.manager([plaza]);
  harbourCrew = await s.crew([harbour]);
});
afterAll(() => t.close());

const locationRow = async (id: number) => (await s.db.select().from(locations).where(eq(locations.id, id)))[0];

describe('GET /api/locations', () => {
  it('members see their own locations only', async () => {
    const both = await s.crew([harbour, plaza]);
    for (const [who, expected] of [
      [harbourCrew, [harbour.id]],
      [harbourManager, [harbour.id]],
      [both, [harbour.id, plaza.id]],
    ] as const) {
      const page = Page(Location).parse((await who.agent.get('/api/locations').expect(200)).body);
      expect(page).toEqual({ items: expect.any(Array), nextCursor: null });
      expect(page.items.map((l) => l.id).sort((a, b) => a - b)).toEqual([...expected].sort((a, b) => a - b));
    }
  });

  it('an admin sees every location, page by page, each once', async () => {
    const walk = async (limit: number, maxPages = Infinity) => {
      const seen: Location[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const res = await admin.agent
          .get('/api/locations')
          .query({ limit, ...(cursor ? { cursor } : {}) })
          .expect(200);
        const page = Page(Location).parse(res.body);
        expect(page.items.length).toBeLessThanOrEqual(limit);
        seen.push(...page.items);
        cursor = page.nextCursor;
        pages += 1;
      } while (cursor && pages < maxPages);
      return seen.map((l) => l.id);
    };
    const all = await walk(200);
    expect(all).toEqual(expect.arrayContaining([harbour.id, plaza.id]));
    expect(new Set(all).size).toBe(all.length);
    // Small pages follow the same order, one after the other.
    expect(await walk(1, 3)).toEqual(all.slice(0, 3));
  });

  it('a location answers in the Location shape', async () => {
    const page = Page(Location).parse((await harbourCrew.agent.get('/api/locations').expect(200)).body);
    expect(page.items[0]).toEqual({
      id: harbour.id,
      name: 'Harbour Bar',
      address: 'Kade 1, Amsterdam',
      timezone: 'Europe/Amsterdam',
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
  });

  it.each([
    ['limit=0', { limit: '0' }],
    ['limit=201', { limit: '201' }],
    ['limit=ten', { limit: 'ten' }],
    ['a cursor this API did not issue', { cursor: '***' }],
    ['a forged cursor', { cursor: encodeCursor({ name: 'x', id: 'y' }) }],
    ['a forged cursor naming what no location can be called', { cursor: encodeCursor({ name: 'a\u0000b', id: 1 }) }],
  ])('%s is a 400', async (_what, query) => {
    expectProblem(await admin.agent.get('/api/locations').query(query), 400, 'validation_failed');
  });

  it('without a session: 401', async () => {
    expectProblem(await s.anonymous().get('/api/locations'), 401, 'unauthenticated');
  });
});

describe('GET /api/locations/:id', () => {
  it('a member sees it', async () => {
    const res = await harbourCrew.agent.get(`/api/locations/${harbour.id}`).expect(200);
    expect(Location.parse(res.body)).toMatchObject({ id: harbour.id, name: 'Harbour Bar', timezone: 'Europe/Amsterdam' });
  });

  it('an admin sees any', async () => {
    Location.parse((await admin.agent.get(`/api/locations/${plaza.id}`).expect(200)).body);
  });

  it('for anyone else it does not exist: 404, as for an id nobody has', async () => {
    expectProblem(await harbourCrew.agent.get(`/api/locations/${plaza.id}`), 404, 'not_found');
    expectProblem(await plazaManager.agent.get(`/api/locations/${harbour.id}`), 404, 'not_found');
    expectProblem(await admin.agent.get(`/api/locations/${MISSING_ID}`), 404, 'not_found');
  });

  it.each(INVALID_IDS)('the id %s is a 400', async (id) => {
    expectProblem(await admin.agent.get(`/api/locations/${id}`), 400, 'validation_failed');
  });
});

describe('POST /api/locations', () => {
  it('an admin creates one: 201 with the location', async () => {
    const res = await admin.agent.post('/api/locations').send({ name: '  Rooftop ', address: 'Dak 5', timezone: 'Australia/Sydney' }).expect(201);
    const created = Location.parse(res.body);
    expect(created).toEqual({
      id: expect.any(Number),
      name: 'Rooftop',
      address: 'Dak 5',
      timezone: 'Australia/Sydney',
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    expect((await admin.agent.get(`/api/locations/${created.id}`).expect(200)).body).toEqual(created);
  });

  it('the address is optional', async () => {
    const res = await admin.agent.post('/api/locations').send({ name: 'No Address', timezone: 'UTC' }).expect(201);
    expect(Location.parse(res.body).address).toBeNull();
  });

  it.each([
    ['a manager', () => harbourManager],
    ['crew', () => harbourCrew],
  ])('%s may not: 403', async (_who, caller) => {
    const name = `Forbidden ${Math.random()}`;
    expectProblem(await caller().agent.post('/api/locations').send({ name, timezone: 'Europe/Amsterdam' }), 403, 'forbidden');
    expect(await s.db.select().from(locations).where(eq(locations.name, name))).toEqual([]);
  });

  it.each(['Mars/Olympus_Mons', 'Europe/Atlantis', 'CEST', '+01:00', 'UTC+5', 'local', 'system', '', 'x'.repeat(65)])(
    'the time zone "%s" is not an IANA zone: 400',
    async (timezone) => {
      const name = `Unknown zone ${Math.random()}`;
      const res = await admin.agent.post('/api/locations').send({ name, timezone });
      const errors = expectProblem(res, 400, 'validation_failed').errors ?? [];
      expect(errors.length).toBeGreaterThan(0);
      expect(errors.every((e) => e.path === 'timezone')).toBe(true);
      expect(await s.db.select().from(locations).where(eq(locations.name, name))).toEqual([]);
    },
  );

  it.each([
    ['no name', { timezone: 'UTC' }],
    ['no time zone', { name: 'Somewhere' }],
    ['a name of spaces', { name: '   ', timezone: 'UTC' }],
    ['a name too long', { name: 'n'.repeat(121), timezone: 'UTC' }],
    ['an unknown field', { name: 'Somewhere', timezone: 'UTC', capacity: 40 }],
    ['a name that is a number', { name: 42, timezone: 'UTC' }],
    ['a name with a NUL character (Postgres cannot store it)', { name: 'Bar\u0000Zero', timezone: 'UTC' }],
    ['a name with an unpaired surrogate (it would come back altered)', { name: 'Bar \ud800', timezone: 'UTC' }],
    ['an address with a NUL character', { name: 'Somewhere', address: '\u0000', timezone: 'UTC' }],
  ])('%s is a 400', async (_what, body) => {
    expectProblem(await admin.agent.post('/api/locations').send(body), 400, 'validation_failed');
  });

  it('without a session: 401', async () => {
    expectProblem(await s.anonymous().post('/api/locations').send({ name: 'Anon', timezone: 'UTC' }), 401, 'unauthenticated');
  });
});

describe('PATCH /api/locations/:id', () => {
  it('a manager of the location renames it and changes its address', async () => {
    const venue = await s.location({ name: 'Old Name' });
    const manager = await s.manager([venue]);
    const res = await manager.agent.patch(`/api/locations/${venue.id}`).send({ name: 'New Name', address: 'Nieuwe Straat 2' }).expect(200);
    expect(Location.parse(res.body)).toMatchObject({ id: venue.id, name: 'New Name', address: 'Nieuwe Straat 2', timezone: 'Europe/Amsterdam' });
    expect((await manager.agent.get(`/api/locations/${venue.id}`).expect(200)).body).toMatchObject({ name: 'New Name' });
    // An empty address clears it.
    expect((await manager.agent.patch(`/api/locations/${venue.id}`).send({ address: '' }).expect(200)).body.address).toBeNull();
  });

  it('a manager may not move it to another time zone: 403, and it stays', async () => {
    expectProblem(await harbourManager.agent.patch(`/api/locations/${harbour.id}`).send({ timezone: 'Asia/Tokyo' }), 403, 'forbidden');
    expect((await locationRow(harbour.id))?.timezone).toBe('Europe/Amsterdam');
  });

  it('an admin may change the time zone', async () => {
    const venue = await s.location();
    const res = await admin.agent.patch(`/api/locations/${venue.id}`).send({ timezone: 'Asia/Tokyo' }).expect(200);
    expect(Location.parse(res.body).timezone).toBe('Asia/Tokyo');
  });

  it('the time zone of a location with schedules cannot change: 409, and it stays; its name still can', async () => {
    const venue = await s.location({ timezone: 'Europe/Amsterdam' });
    await s.schedule(venue);
    expectProblem(await admin.agent.patch(`/api/locations/${venue.id}`).send({ timezone: 'Asia/Tokyo' }), 409, 'conflict');
    expect((await locationRow(venue.id))?.timezone).toBe('Europe/Amsterdam');
    await admin.agent.patch(`/api/locations/${venue.id}`).send({ name: 'Renamed Hall', timezone: 'Europe/Amsterdam' }).expect(200);
  });

  it('a manager of another location gets a 404; crew get a 403', async () => {
    expectProblem(await plazaManager.agent.patch(`/api/locations/${harbour.id}`).send({ name: 'Taken Over' }), 404, 'not_found');
    expectProblem(await harbourCrew.agent.patch(`/api/locations/${harbour.id}`).send({ name: 'Taken Over' }), 403, 'forbidden');
    expect((await locationRow(harbour.id))?.name).toBe('Harbour Bar');
  });

  it.each([
    ['an empty body', {}],
    ['an unknown time zone', { timezone: 'Nowhere/Special' }],
    ['an unknown field', { name: 'x', open: true }],
    ['a null name', { name: null }],
  ])('%s is a 400', async (_what, body) => {
    expectProblem(await admin.agent.patch(`/api/locations/${harbour.id}`).send(body), 400, 'validation_failed');
  });

  it('an unknown location is a 404, an invalid id a 400', async () => {
    expectProblem(await admin.agent.patch(`/api/locations/${MISSING_ID}`).send({ name: 'x' }), 404, 'not_found');
    expectProblem(await admin.agent.patch('/api/locations/2147483648').send({ name: 'x' }), 400, 'validation_failed');
  });
});

describe('DELETE /api/locations/:id', () => {
  it('an admin deletes a location without schedules: 204; its members no longer list it', async () => {
    const venue = await s.location();
    const worker = await s.crew([venue, harbour]);
    // The worker's profile is cached with both locations.
    expect((await admin.agent.get(`/api/users/${worker.id}`).expect(200)).body.locationIds).toHaveLength(2);
    const res = await admin.agent.delete(`/api/locations/${venue.id}`).expect(204);
    expect(res.text).toBe('');
    expectProblem(await admin.agent.get(`/api/locations/${venue.id}`), 404, 'not_found');
    expect(User.parse((await admin.agent.get(`/api/users/${worker.id}`).expect(200)).body).locationIds).toEqual([harbour.id]);
  });

  it('is refused with 409 while the location has schedules; nothing is deleted', async () => {
    const venue = await s.location();
    await s.schedule(venue);
    expectProblem(await admin.agent.delete(`/api/locations/${venue.id}`), 409, 'conflict');
    expect(await locationRow(venue.id)).toBeDefined();
    Location.parse((await admin.agent.get(`/api/locations/${venue.id}`).expect(200)).body);
  });

  it('a manager of the location may not: 403', async () => {
    expectProblem(await harbourManager.agent.delete(`/api/locations/${harbour.id}`), 403, 'forbidden');
    expect(await locationRow(harbour.id)).toBeDefined();
  });

  it('an unknown location is a 404, an invalid id a 400, no session a 401', async () => {
    expectProblem(await admin.agent.delete(`/api/locations/${MISSING_ID}`), 404, 'not_found');
    expectProblem(await admin.agent.delete('/api/locations/-1'), 400, 'validation_failed');
    expectProblem(await s.anonymous().delete(`/api/locations/${harbour.id}`), 401, 'unauthenticated');
  });
});
