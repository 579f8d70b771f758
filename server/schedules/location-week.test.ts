import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { LocationWeek } from '../../shared/schemas/schedules.js';
import { addWeeks } from '../../shared/time.js';
import { MISSING_ID, createApiTestApp, expectProblem, localTime, scenario, type Person, type Scenario } from '../../test/support/api.js';
import { uniqueMonday } from '../../test/support/factories.js';
import type { TestApp } from '../../test/support/test-app.js';

/**
 * GET /api/locations/:id/weeks/:weekStart: what the planner opens a week with, in one answer
 * (docs/decisions/030). Its schedule must be the very bytes GET /api/schedules/:id answers, and it
 * must show each caller only what that caller may see.
 */

let t: TestApp;
let s: Scenario;
let venue: { id: number };
let other: { id: number };
let manager: Person;
let crew: Person;
let otherManager: Person;

beforeAll(async () => {
  t = await createApiTestApp('location-week');
  s = scenario(t);
  [venue, other] = await Promise.all([s.location({ name: 'Quay' }), s.location({ name: 'Mill' })]);
  manager = await s.manager([venue]);
  crew = await s.crew([venue]);
  otherManager = await s.manager([other]);
});
afterAll(() => t.close());

const weekOf = (who: Person, locationId: number, weekStart: string) => who.agent.get(`/api/locations/${locationId}/weeks/${weekStart}`);

describe('GET /api/locations/:id/weeks/:weekStart', () => {
  it("answers the week's schedule byte for byte as GET /api/schedules/:id does, and the previous week's summary", async () => {
    const weekStart = uniqueMonday();
    const previousWeek = await s.schedule(venue, { weekStart: addWeeks(weekStart, -1), status: 'published' });
    await s.shift(previousWeek, { userId: crew.id, startsAt: localTime(previousWeek.weekStart, 1, '09:00'), endsAt: localTime(previousWeek.weekStart, 1, '17:00') });
    const week = await s.schedule(venue, { weekStart });
    await s.shift(week, { startsAt: localTime(weekStart, 2, '18:00'), endsAt: localTime(weekStart, 2, '23:00'), position: 'Runner' });

    const res = await weekOf(manager, venue.id, weekStart).expect(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const body = LocationWeek.parse(res.body);
    const alone = await manager.agent.get(`/api/schedules/${week.id}`).expect(200);
    expect(JSON.stringify(body.schedule)).toBe(alone.text);
    expect(body.weekStart).toBe(weekStart);
    expect(body.schedule?.shifts.map((x) => x.position)).toEqual(['Runner']);
    expect(body.previous).toMatchObject({ id: previousWeek.id, weekStart: previousWeek.weekStart, status: 'published', shiftCount: 1 });
  });

  it('a week with no schedule and none before it: both null', async () => {
    const res = await weekOf(manager, venue.id, uniqueMonday()).expect(200);
    expect(LocationWeek.parse(res.body)).toEqual({ weekStart: expect.any(String), schedule: null, previous: null });
  });

  it('crew see a published week, and neither a draft week nor a draft previous week', async () => {
    const published = await s.schedule(venue, { status: 'published' });
    expect(LocationWeek.parse((await weekOf(crew, venue.id, published.weekStart).expect(200)).body).schedule?.id).toBe(published.id);

    const weekStart = uniqueMonday();
    await s.schedule(venue, { weekStart: addWeeks(weekStart, -1) });
    await s.schedule(venue, { weekStart });
    expect(LocationWeek.parse((await weekOf(crew, venue.id, weekStart).expect(200)).body)).toEqual({ weekStart, schedule: null, previous: null });
    // The manager of the same location sees both drafts: the nulls above are the crew's view, not an empty week.
    const managers = LocationWeek.parse((await weekOf(manager, venue.id, weekStart).expect(200)).body);
    expect(managers.schedule?.status).toBe('draft');
    expect(managers.previous?.status).toBe('draft');
  });

  it('a location the caller is not a member of, or none at all, is a 404', async () => {
    const weekStart = uniqueMonday();
    await s.schedule(venue, { weekStart });
    expectProblem(await weekOf(otherManager, venue.id, weekStart), 404, 'not_found');
    expectProblem(await weekOf(manager, MISSING_ID, weekStart), 404, 'not_found');
  });

  it('a date that is not a Monday, or not a date, is a 400 naming weekStart', async () => {
    for (const bad of ['2026-12-01', '2026-02-30', 'monday', '20261130']) {
      const problem = expectProblem(await weekOf(manager, venue.id, bad), 400, 'validation_failed');
      expect(new Set(problem.errors?.map((e) => e.path))).toEqual(new Set(['weekStart']));
    }
  });

  it('without a session: 401', async () => {
    expectProblem(await s.anonymous().get(`/api/locations/${venue.id}/weeks/${uniqueMonday()}`), 401, 'unauthenticated');
  });
});
