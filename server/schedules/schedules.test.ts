import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { and, eq } from 'drizzle-orm';
import { Page } from '../../shared/schemas/common.js';
import { CreatedSchedule, Schedule, ScheduleSummary } from '../../shared/schemas/schedules.js';
import { addWeeks } from '../../shared/time.js';
import { schedules, shifts } from '../db/schema.js';
import { entryKey } from '../cache/cache.keys.js';
import { encodeCursor } from '../http/cursor.js';
import { INVALID_IDS, MISSING_ID, createApiTestApp, expectProblem, localTime, scenario, type Person, type Scenario } from '../../test/support/api.js';
import { uniqueMonday } from '../../test/support/factories.js';
import type { TestApp } from '../../test/support/test-app.js';

let t: TestApp;
let s: Scenario;
let venue: { id: number };
let other: { id: number };
let admin: Person;
let manager: Person;
let otherManager: Person;
let crew: Person;
let otherCrew: Person;

beforeAll(async () => {
  t = await createApiTestApp('schedules');
  s = scenario(t);
  [venue, other] = await Promise.all([s.location({ name: 'Dock' }), s.location({ name: 'Tower' })]);
  admin = await s.admin();
  manager = await s.manager([venue]);
  otherManager = await s.manager([other]);
  crew = await s.crew([venue]);
  otherCrew = await s.crew([other]);
});
afterAll(() => t.close());

const scheduleRow = async (id: number) => (await s.db.select().from(schedules).where(eq(schedules.id, id)))[0];

describe('POST /api/schedules', () => {
  it('a manager of the location creates a week: 201, a draft with no shifts and nothing skipped', async () => {
    const weekStart = uniqueMonday();
    const res = await manager.agent.post('/api/schedules').send({ locationId: venue.id, weekStart }).expect(201);
    expect(CreatedSchedule.parse(res.body)).toEqual({
      id: expect.any(Number),
      locationId: venue.id,
      weekStart,
      status: 'draft',
      publishedAt: null,
      version: 1,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
      shifts: [],
      skipped: [],
    });
    // Read back through the cache: the week its creator opens next is there already.
    expect(await t.deps.redis.cache.exists(entryKey(t.deps.config.redis.prefix, { namespace: 'schedule', id: res.body.id }))).toBe(1);
    expect(Schedule.parse((await manager.agent.get(`/api/schedules/${res.body.id}`).expect(200)).body)).toMatchObject({ weekStart, shifts: [] });
  });

  it('an admin may create one for any location', async () => {
    CreatedSchedule.parse((await admin.agent.post('/api/schedules').send({ locationId: other.id, weekStart: uniqueMonday() }).expect(201)).body);
  });

  it('a second schedule for the same location and week is a 409 schedule_exists', async () => {
    const weekStart = uniqueMonday();
    const first = (await manager.agent.post('/api/schedules').send({ locationId: venue.id, weekStart }).expect(201)).body;
    const again = expectProblem(await manager.agent.post('/api/schedules').send({ locationId: venue.id, weekStart }), 409, 'schedule_exists');
    expect(again.conflicts).toEqual([first.id]);
    // The same week at another location is fine.
    await admin.agent.post('/api/schedules').send({ locationId: other.id, weekStart }).expect(201);
  });

  it('of two concurrent creates of one week, one wins and the other is a 409', async () => {
    const weekStart = uniqueMonday();
    const results = await Promise.all([1, 2].map(() => manager.agent.post('/api/schedules').send({ locationId: venue.id, weekStart })));
    expect(results.map((r) => r.status).sort()).toEqual([201, 409]);
    const loser = results.find((r) => r.status === 409)!.body;
    expect(loser).toMatchObject({ code: 'schedule_exists', conflicts: [results.find((r) => r.status === 201)!.body.id] });
  });

  it('crew of the location may see it but not plan it: 403', async () => {
    const weekStart = uniqueMonday();
    expectProblem(await crew.agent.post('/api/schedules').send({ locationId: venue.id, weekStart }), 403, 'forbidden');
    expect(await s.db.select().from(schedules).where(and(eq(schedules.locationId, venue.id), eq(schedules.weekStart, weekStart)))).toEqual([]);
  });

  it('for a manager of another location, or an unknown location, it does not exist: 404', async () => {
    expectProblem(await otherManager.agent.post('/api/schedules').send({ locationId: venue.id, weekStart: uniqueMonday() }), 404, 'not_found');
    expectProblem(await admin.agent.post('/api/schedules').send({ locationId: MISSING_ID, weekStart: uniqueMonday() }), 404, 'not_found');
  });

  it.each([
    ['a Tuesday', { weekStart: '2029-01-02' }],
    ['a date that does not exist', { weekStart: '2029-02-30' }],
    ['year zero', { weekStart: '0000-01-03' }],
    ['an instant instead of a date', { weekStart: '2029-01-01T00:00:00Z' }],
    ['no week', { weekStart: undefined }],
    ['a location id as a string', { locationId: '1' }],
    ['an unknown field', { status: 'published' }],
  ])('%s is a 400', async (_what, overrides) => {
    const body = { locationId: venue.id, weekStart: '2029-01-01', ...overrides };
    expectProblem(await manager.agent.post('/api/schedules').send(body), 400, 'validation_failed');
  });

  it('without a session: 401', async () => {
    expectProblem(await s.anonymous().post('/api/schedules').send({ locationId: venue.id, weekStart: uniqueMonday() }), 401, 'unauthenticated');
  });

  describe('with copyFromScheduleId', () => {
    it('copies the shifts to the new week, and reports each one it had to skip with the reason', async () => {
      const source = uniqueMonday();
      const target = addWeeks(source, 1);
      const from = await s.schedule(venue, { weekStart: source, status: 'published' });
      const steady = await s.crew([venue]);
      const leaver = await s.crew([venue]);
      const mover = await s.crew([venue, other]);
      const busy = await s.crew([venue, other]);
      const kept = await s.shift(from, { userId: steady.id, position: 'Bar', startsAt: localTime(source, 0, '09:00'), endsAt: localTime(source, 0, '17:00'), notes: 'opens' });
      const open = await s.shift(from, { userId: null, position: 'Door', startsAt: localTime(source, 4, '20:00'), endsAt: localTime(source, 5, '02:00') });
      const inactive = await s.shift(from, { userId: leaver.id, startsAt: localTime(source, 1, '09:00'), endsAt: localTime(source, 1, '17:00') });
      const notMember = await s.shift(from, { userId: mover.id, startsAt: localTime(source, 2, '09:00'), endsAt: localTime(source, 2, '17:00') });
      const overlapping = await s.shift(from, { userId: busy.id, startsAt: localTime(source, 3, '09:00'), endsAt: localTime(source, 3, '17:00') });
      // Since that week: one left, one moved to the other location only, one got a shift elsewhere.
      await admin.agent.delete(`/api/users/${leaver.id}`).expect(204);
      await admin.agent.patch(`/api/users/${mover.id}`).send({ locationIds: [other.id] }).expect(200);
      const elsewhere = await s.schedule(other, { weekStart: target });
      const inTheWay = await s.shift(elsewhere, { userId: busy.id, startsAt: localTime(target, 3, '12:00'), endsAt: localTime(target, 3, '20:00') });

      const res = await manager.agent.post('/api/schedules').send({ locationId: venue.id, weekStart: target, copyFromScheduleId: from.id }).expect(201);
      const created = CreatedSchedule.parse(res.body);
      expect(created).toMatchObject({ locationId: venue.id, weekStart: target, status: 'draft', publishedAt: null });
      expect(created.shifts.map(({ userId, position, startsAt, endsAt, notes }) => ({ userId, position, startsAt, endsAt, notes }))).toEqual([
        { userId: steady.id, position: 'Bar', startsAt: localTime(target, 0, '09:00'), endsAt: localTime(target, 0, '17:00'), notes: 'opens' },
        { userId: null, position: 'Door', startsAt: localTime(target, 4, '20:00'), endsAt: localTime(target, 5, '02:00'), notes: null },
      ]);
      expect(created.shifts.every((shift) => shift.scheduleId === created.id && ![kept.id, open.id].includes(shift.id))).toBe(true);
      expect([...created.skipped].sort((a, b) => a.shiftId - b.shiftId)).toEqual(
        [
          { shiftId: inactive.id, reason: 'inactive_user', conflicts: [] },
          { shiftId: notMember.id, reason: 'not_member', conflicts: [] },
          { shiftId: overlapping.id, reason: 'overlap', conflicts: [inTheWay.id] },
        ].sort((a, b) => a.shiftId - b.shiftId),
      );
      // The source week is untouched.
      expect((await manager.agent.get(`/api/schedules/${from.id}`).expect(200)).body.shifts).toHaveLength(5);
    });

    it('copies from any earlier week, not only the one before, keeping weekdays and local times', async () => {
      const source = uniqueMonday();
      const target = addWeeks(source, 5);
      const from = await s.schedule(venue, { weekStart: source });
      const person = await s.crew([venue]);
      await s.shift(from, { userId: person.id, position: 'Bar', startsAt: localTime(source, 2, '18:00'), endsAt: localTime(source, 3, '01:00') });
      const res = await manager.agent.post('/api/schedules').send({ locationId: venue.id, weekStart: target, copyFromScheduleId: from.id }).expect(201);
      expect(CreatedSchedule.parse(res.body).shifts.map(({ userId, startsAt, endsAt }) => ({ userId, startsAt, endsAt }))).toEqual([
        { userId: person.id, startsAt: localTime(target, 2, '18:00'), endsAt: localTime(target, 3, '01:00') },
      ]);
    });

    it('into a week that already has a schedule, even an empty draft, is a 409 schedule_exists: nothing is merged or replaced', async () => {
      const source = uniqueMonday();
      const target = addWeeks(source, 2);
      const from = await s.schedule(venue, { weekStart: source, status: 'published' });
      await s.shift(from, { userId: null, startsAt: localTime(source, 1, '09:00'), endsAt: localTime(source, 1, '17:00') });
      const existing = await s.schedule(venue, { weekStart: target });
      const res = await manager.agent.post('/api/schedules').send({ locationId: venue.id, weekStart: target, copyFromScheduleId: from.id });
      expect(expectProblem(res, 409, 'schedule_exists').conflicts).toEqual([existing.id]);
      expect((await manager.agent.get(`/api/schedules/${existing.id}`).expect(200)).body).toMatchObject({ shifts: [], version: existing.version });
    });

    it('a schedule of another location is a 422, and no week is created', async () => {
      const weekStart = uniqueMonday();
      const foreign = await s.schedule(other, { status: 'published' });
      expectProblem(await admin.agent.post('/api/schedules').send({ locationId: venue.id, weekStart, copyFromScheduleId: foreign.id }), 422, 'unprocessable');
      expect(await s.db.select().from(schedules).where(and(eq(schedules.locationId, venue.id), eq(schedules.weekStart, weekStart)))).toEqual([]);
    });

    it('a schedule the caller cannot see, or none at all, is a 404', async () => {
      const foreign = await s.schedule(other);
      expectProblem(await manager.agent.post('/api/schedules').send({ locationId: venue.id, weekStart: uniqueMonday(), copyFromScheduleId: foreign.id }), 404, 'not_found');
      expectProblem(await manager.agent.post('/api/schedules').send({ locationId: venue.id, weekStart: uniqueMonday(), copyFromScheduleId: MISSING_ID }), 404, 'not_found');
    });
  });
});

describe('GET /api/schedules', () => {
  let place: { id: number };
  let placeManager: Person;
  let placeCrew: Person;
  let weeks: string[];
  let made: Array<{ id: number; weekStart: string; status: string }>;
  beforeAll(async () => {
    place = await s.location();
    placeManager = await s.manager([place]);
    placeCrew = await s.crew([place]);
    const base = uniqueMonday();
    weeks = [0, 1, 2, 3, 4].map((n) => addWeeks(base, n));
    // Created out of order; published every other week.
    made = [];
    for (const n of [2, 0, 4, 1, 3]) {
      made.push(await s.schedule(place, { weekStart: weeks[n], status: n % 2 === 0 ? 'published' : 'draft' }));
    }
    const withShifts = made.find((m) => m.weekStart === weeks[0])!;
    await s.shift(withShifts, { startsAt: localTime(weeks[0]!, 0, '10:00'), endsAt: localTime(weeks[0]!, 0, '14:00') });
    await s.shift(withShifts, { startsAt: localTime(weeks[0]!, 1, '10:00'), endsAt: localTime(weeks[0]!, 1, '14:00') });
  });

  const list = async (agent: Person['agent'], query: Record<string, string | number> = {}) =>
    Page(ScheduleSummary).parse((await agent.get('/api/schedules').query({ locationId: place.id, ...query }).expect(200)).body);

  it('answers summaries, newest week first, each with its number of shifts', async () => {
    const page = await list(placeManager.agent);
    expect(page.nextCursor).toBeNull();
    expect(page.items.map((i) => i.weekStart)).toEqual([...weeks].reverse());
    expect(page.items.find((i) => i.weekStart === weeks[0])).toEqual({
      id: expect.any(Number),
      locationId: place.id,
      weekStart: weeks[0],
      status: 'published',
      publishedAt: expect.any(String),
      version: 1,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
      shiftCount: 2,
    });
    expect(page.items.find((i) => i.weekStart === weeks[1])).toMatchObject({ status: 'draft', publishedAt: null, shiftCount: 0 });
  });

  it('pages with limit and cursor, and the pages add up to the whole list', async () => {
    const all = await list(placeManager.agent);
    const first = await list(placeManager.agent, { limit: 2 });
    expect(first.items).toEqual(all.items.slice(0, 2));
    const second = await list(placeManager.agent, { limit: 2, cursor: first.nextCursor! });
    expect(second.items).toEqual(all.items.slice(2, 4));
    const third = await list(placeManager.agent, { limit: 2, cursor: second.nextCursor! });
    expect(third).toEqual({ items: all.items.slice(4), nextCursor: null });
  });

  it('crew see only the published weeks of their own locations', async () => {
    const page = await list(placeCrew.agent);
    expect(page.items.map((i) => i.weekStart)).toEqual([weeks[4], weeks[2], weeks[0]]);
    expect((await list(otherCrew.agent)).items).toEqual([]);
    // Without a filter, nothing of another location shows up for them either.
    const unfiltered = Page(ScheduleSummary).parse((await placeCrew.agent.get('/api/schedules').query({ limit: 200 }).expect(200)).body);
    expect(unfiltered.items.every((i) => i.locationId === place.id && i.status === 'published')).toBe(true);
  });

  it('a manager of another location sees none of these weeks', async () => {
    expect((await list(otherManager.agent)).items).toEqual([]);
  });

  it('filters by status and by week range', async () => {
    expect((await list(placeManager.agent, { status: 'draft' })).items.map((i) => i.weekStart)).toEqual([weeks[3], weeks[1]]);
    expect((await list(placeManager.agent, { from: weeks[1]!, to: weeks[3]! })).items.map((i) => i.weekStart)).toEqual([weeks[3], weeks[2], weeks[1]]);
  });

  it.each([
    ['limit=0', { limit: '0' }],
    ['limit=201', { limit: '201' }],
    ['a status that does not exist', { status: 'archived' }],
    ['a from that is not a date', { from: 'last week' }],
    ['a location id that is not an id', { locationId: '0' }],
    ['a cursor this API did not issue', { cursor: '!!!' }],
    ['a forged cursor naming no week', { cursor: encodeCursor({ weekStart: 'soon', id: 1 }) }],
    ['a forged cursor with an id that is not one', { cursor: encodeCursor({ weekStart: '2027-03-22', id: 'x' }) }],
    ['an unknown parameter', { sort: 'asc' }],
  ])('%s is a 400', async (_what, query) => {
    expectProblem(await placeManager.agent.get('/api/schedules').query(query), 400, 'validation_failed');
  });

  it('without a session: 401', async () => {
    expectProblem(await s.anonymous().get('/api/schedules'), 401, 'unauthenticated');
  });
});

describe('GET /api/schedules/:id', () => {
  it('answers the schedule with its shifts by start time, then id', async () => {
    const week = uniqueMonday();
    const schedule = await s.schedule(venue, { weekStart: week, status: 'published' });
    const late = await s.shift(schedule, { userId: crew.id, startsAt: localTime(week, 2, '18:00'), endsAt: localTime(week, 2, '23:00') });
    const earlyB = await s.shift(schedule, { startsAt: localTime(week, 0, '08:00'), endsAt: localTime(week, 0, '12:00'), position: 'Kitchen' });
    const earlyA = await s.shift(schedule, { startsAt: localTime(week, 0, '08:00'), endsAt: localTime(week, 0, '10:00'), position: 'Bar' });
    const res = await crew.agent.get(`/api/schedules/${schedule.id}`).expect(200);
    const body = Schedule.parse(res.body);
    expect(body).toEqual({
      id: schedule.id,
      locationId: venue.id,
      weekStart: week,
      status: 'published',
      publishedAt: expect.any(String),
      version: 1,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
      shifts: expect.any(Array),
    });
    expect(body.shifts.map((x) => x.id)).toEqual([Math.min(earlyA.id, earlyB.id), Math.max(earlyA.id, earlyB.id), late.id]);
    expect(body.shifts.at(-1)).toEqual({
      id: late.id,
      scheduleId: schedule.id,
      userId: crew.id,
      userName: crew.name,
      position: 'Bartender',
      startsAt: localTime(week, 2, '18:00'),
      endsAt: localTime(week, 2, '23:00'),
      notes: null,
      version: 1,
    });
    // A second read (from the cache) is byte-for-byte the same.
    expect((await crew.agent.get(`/api/schedules/${schedule.id}`).expect(200)).text).toBe(res.text);
  });

  it('a draft does not exist for crew: 404; for its managers it does', async () => {
    const draft = await s.schedule(venue);
    expectProblem(await crew.agent.get(`/api/schedules/${draft.id}`), 404, 'not_found');
    Schedule.parse((await manager.agent.get(`/api/schedules/${draft.id}`).expect(200)).body);
  });

  it('a week of another location does not exist for its outsiders: 404', async () => {
    const published = await s.schedule(other, { status: 'published' });
    expectProblem(await crew.agent.get(`/api/schedules/${published.id}`), 404, 'not_found');
    expectProblem(await manager.agent.get(`/api/schedules/${published.id}`), 404, 'not_found');
    Schedule.parse((await otherCrew.agent.get(`/api/schedules/${published.id}`).expect(200)).body);
  });

  it('an unknown schedule is a 404', async () => {
    expectProblem(await admin.agent.get(`/api/schedules/${MISSING_ID}`), 404, 'not_found');
  });

  it.each(INVALID_IDS)('the id %s is a 400', async (id) => {
    expectProblem(await admin.agent.get(`/api/schedules/${id}`), 400, 'validation_failed');
  });
});

describe('PATCH /api/schedules/:id', () => {
  it('publishing makes the week visible to crew at once; unpublishing hides it again', async () => {
    const draft = await s.schedule(venue);
    expectProblem(await crew.agent.get(`/api/schedules/${draft.id}`), 404, 'not_found');

    const published = Schedule.parse((await manager.agent.patch(`/api/schedules/${draft.id}`).send({ status: 'published' }).expect(200)).body);
    expect(published).toMatchObject({ id: draft.id, status: 'published', publishedAt: expect.any(String) });
    expect(Schedule.parse((await crew.agent.get(`/api/schedules/${draft.id}`).expect(200)).body).status).toBe('published');

    const unpublished = Schedule.parse((await manager.agent.patch(`/api/schedules/${draft.id}`).send({ status: 'draft' }).expect(200)).body);
    expect(unpublished).toMatchObject({ status: 'draft', publishedAt: null });
    expectProblem(await crew.agent.get(`/api/schedules/${draft.id}`), 404, 'not_found');
  });

  it('publishing twice keeps the first publication time', async () => {
    const draft = await s.schedule(venue);
    const first = (await manager.agent.patch(`/api/schedules/${draft.id}`).send({ status: 'published' }).expect(200)).body;
    const again = (await manager.agent.patch(`/api/schedules/${draft.id}`).send({ status: 'published' }).expect(200)).body;
    expect(again.publishedAt).toBe(first.publishedAt);
  });

  it('crew may see a published week but not change it: 403; a draft does not exist for them: 404', async () => {
    const published = await s.schedule(venue, { status: 'published' });
    const draft = await s.schedule(venue);
    expectProblem(await crew.agent.patch(`/api/schedules/${published.id}`).send({ status: 'draft' }), 403, 'forbidden');
    expectProblem(await crew.agent.patch(`/api/schedules/${draft.id}`).send({ status: 'published' }), 404, 'not_found');
    expect((await scheduleRow(published.id))?.status).toBe('published');
    expect((await scheduleRow(draft.id))?.status).toBe('draft');
  });

  it('a manager of another location gets a 404', async () => {
    const draft = await s.schedule(venue);
    expectProblem(await otherManager.agent.patch(`/api/schedules/${draft.id}`).send({ status: 'published' }), 404, 'not_found');
  });

  it.each([
    ['an unknown status', { status: 'archived' }],
    ['an empty body', {}],
    ['another field', { status: 'published', weekStart: '2029-01-01' }],
  ])('%s is a 400', async (_what, body) => {
    const draft = await s.schedule(venue);
    expectProblem(await manager.agent.patch(`/api/schedules/${draft.id}`).send(body), 400, 'validation_failed');
    expect((await scheduleRow(draft.id))?.status).toBe('draft');
  });

  it('an unknown schedule is a 404, an invalid id a 400', async () => {
    expectProblem(await admin.agent.patch(`/api/schedules/${MISSING_ID}`).send({ status: 'published' }), 404, 'not_found');
    expectProblem(await admin.agent.patch('/api/schedules/2147483648').send({ status: 'published' }), 400, 'validation_failed');
  });
});

describe('DELETE /api/schedules/:id', () => {
  it('deletes a draft with its shifts: 204, and then it is gone', async () => {
    const week = uniqueMonday();
    const draft = await s.schedule(venue, { weekStart: week });
    const shift = await s.shift(draft, { startsAt: localTime(week, 0, '09:00'), endsAt: localTime(week, 0, '12:00') });
    await manager.agent.get(`/api/schedules/${draft.id}`).expect(200);
    const res = await manager.agent.delete(`/api/schedules/${draft.id}`).expect(204);
    expect(res.text).toBe('');
    expectProblem(await manager.agent.get(`/api/schedules/${draft.id}`), 404, 'not_found');
    expect(await s.db.select().from(shifts).where(eq(shifts.id, shift.id))).toEqual([]);
    // The week is free again.
    await manager.agent.post('/api/schedules').send({ locationId: venue.id, weekStart: week }).expect(201);
  });

  it('a published week is a 409 schedule_published, and it stays', async () => {
    const published = await s.schedule(venue, { status: 'published' });
    expectProblem(await manager.agent.delete(`/api/schedules/${published.id}`), 409, 'schedule_published');
    expect(await scheduleRow(published.id)).toBeDefined();
  });

  it('crew get a 403 for a published week they see, a 404 for a draft; outsiders a 404', async () => {
    const published = await s.schedule(venue, { status: 'published' });
    const draft = await s.schedule(venue);
    expectProblem(await crew.agent.delete(`/api/schedules/${published.id}`), 403, 'forbidden');
    expectProblem(await crew.agent.delete(`/api/schedules/${draft.id}`), 404, 'not_found');
    expectProblem(await otherManager.agent.delete(`/api/schedules/${draft.id}`), 404, 'not_found');
    expect(await scheduleRow(draft.id)).toBeDefined();
  });

  it('an unknown schedule is a 404, an invalid id a 400, no session a 401', async () => {
    expectProblem(await admin.agent.delete(`/api/schedules/${MISSING_ID}`), 404, 'not_found');
    expectProblem(await admin.agent.delete('/api/schedules/abc'), 400, 'validation_failed');
    const draft = await s.schedule(venue);
    expectProblem(await s.anonymous().delete(`/api/schedules/${draft.id}`), 401, 'unauthenticated');
    expect(await scheduleRow(draft.id)).toBeDefined();
  });
});
