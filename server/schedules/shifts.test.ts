import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { and, eq, sql } from 'drizzle-orm';
import pg from 'pg';
import { SavedShift } from '../../shared/schemas/planning.js';
import { Schedule, Shift } from '../../shared/schemas/schedules.js';
import { createWrites } from '../app.js';
import { schedules, shifts } from '../db/schema.js';
import { AppError } from '../errors.js';
import { createSchedulesRepository } from './schedules.repository.js';
import { MISSING_ID, createApiTestApp, expectProblem, savedShift, hoursAfter, localTime, scenario, type Person, type Scenario } from '../../test/support/api.js';
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

beforeAll(async () => {
  t = await createApiTestApp('shifts');
  s = scenario(t);
  [venue, other] = await Promise.all([s.location({ name: 'Main Hall' }), s.location({ name: 'Garden' })]);
  admin = await s.admin();
  manager = await s.manager([venue]);
  otherManager = await s.manager([other]);
  crew = await s.crew([venue]);
});
afterAll(() => t.close());

/** A fresh week at the venue, and the instant of a local time in it. */
async function week(options: { status?: 'draft' | 'published'; location?: { id: number } } = {}) {
  const weekStart = uniqueMonday();
  const schedule = await s.schedule(options.location ?? venue, { weekStart, status: options.status });
  return { schedule, weekStart, at: (day: number, time: string) => localTime(weekStart, day, time) };
}

const shiftsOf = (scheduleId: number) => s.db.select().from(shifts).where(eq(shifts.scheduleId, scheduleId));

describe('POST /api/schedules/:id/shifts', () => {
  it('a manager adds a shift for a member: 201 with the shift and the person’s name', async () => {
    const { schedule, at } = await week();
    const res = await manager.agent
      .post(`/api/schedules/${schedule.id}/shifts`)
      .send({ userId: crew.id, position: ' Bar ', startsAt: at(1, '09:00'), endsAt: at(1, '17:00'), notes: 'Bring the keys' })
      .expect(201);
    expect(SavedShift.parse(res.body)).toEqual({
      id: expect.any(Number),
      scheduleId: schedule.id,
      userId: crew.id,
      userName: crew.name,
      position: 'Bar',
      startsAt: at(1, '09:00'),
      endsAt: at(1, '17:00'),
      notes: 'Bring the keys',
      version: 1,
      warnings: [],
    });
    const read = Schedule.parse((await manager.agent.get(`/api/schedules/${schedule.id}`).expect(200)).body);
    expect(read.shifts).toEqual([savedShift(res.body)]);
  });

  it('without a userId the shift is open', async () => {
    const { schedule, at } = await week();
    const res = await manager.agent.post(`/api/schedules/${schedule.id}/shifts`).send({ position: 'Door', startsAt: at(4, '22:00'), endsAt: at(5, '04:00') }).expect(201);
    expect(savedShift(res.body)).toMatchObject({ userId: null, userName: null, notes: null });
  });

  it('instants with an offset are accepted and answered in UTC with milliseconds', async () => {
    const { schedule, weekStart } = await week();
    const res = await manager.agent
      .post(`/api/schedules/${schedule.id}/shifts`)
      .send({ position: 'Bar', startsAt: `${weekStart}T10:00:00+01:00`, endsAt: `${weekStart}T12:30:00.5+01:00` })
      .expect(201);
    expect(res.body).toMatchObject({ startsAt: `${weekStart}T09:00:00.000Z`, endsAt: `${weekStart}T11:30:00.500Z` });
  });

  it('a shift of exactly 16 hours is allowed; back-to-back shifts do not overlap', async () => {
    const { schedule, at } = await week();
    const first = await manager.agent.post(`/api/schedules/${schedule.id}/shifts`).send({ userId: crew.id, position: 'Bar', startsAt: at(0, '06:00'), endsAt: at(0, '22:00') });
    expect(first.status).toBe(201);
    const next = await manager.agent.post(`/api/schedules/${schedule.id}/shifts`).send({ userId: crew.id, position: 'Bar', startsAt: at(0, '22:00'), endsAt: at(1, '02:00') });
    expect(next.status).toBe(201);
  });

  it.each([
    ['it ends when it starts', (at: At) => ({ startsAt: at(1, '09:00'), endsAt: at(1, '09:00') }), 'endsAt'],
    ['it ends before it starts', (at: At) => ({ startsAt: at(1, '09:00'), endsAt: at(1, '08:00') }), 'endsAt'],
    ['it lasts longer than 16 hours', (at: At) => ({ startsAt: at(1, '06:00'), endsAt: hoursAfter(at(1, '06:00'), 16.001) }), 'endsAt'],
    ['it starts before the week', (at: At) => ({ startsAt: hoursAfter(at(0, '00:00'), -1), endsAt: at(0, '02:00') }), 'startsAt'],
    ['it starts after the week', (at: At) => ({ startsAt: at(7, '00:00'), endsAt: at(7, '08:00') }), 'startsAt'],
  ])('when %s: 400 naming the field, and nothing is added', async (_what, times, path) => {
    const { schedule, at } = await week();
    const res = await manager.agent.post(`/api/schedules/${schedule.id}/shifts`).send({ userId: crew.id, position: 'Bar', ...times(at) });
    expect(expectProblem(res, 400, 'validation_failed').errors).toEqual([{ path, message: expect.any(String) }]);
    expect(await shiftsOf(schedule.id)).toEqual([]);
  });

  it.each([
    ['no position', { position: undefined }],
    ['a time without an offset', { startsAt: '2029-01-01T09:00:00' }],
    ['a date instead of an instant', { endsAt: '2029-01-01' }],
    ['a user id that is not an id', { userId: -3 }],
    ['an unknown field', { breakMinutes: 30 }],
    ['notes too long', { notes: 'n'.repeat(1001) }],
  ])('%s is a 400', async (_what, overrides) => {
    const { schedule, at } = await week();
    const res = await manager.agent.post(`/api/schedules/${schedule.id}/shifts`).send({ userId: crew.id, position: 'Bar', startsAt: at(1, '09:00'), endsAt: at(1, '17:00'), ...overrides });
    expectProblem(res, 400, 'validation_failed');
    expect(await shiftsOf(schedule.id)).toEqual([]);
  });

  it('a person who is inactive, does not work here, or does not exist cannot be given a shift: 422', async () => {
    const { schedule, at } = await week();
    const gone = await s.crew([venue], { active: false });
    const outsider = await s.crew([other]);
    for (const userId of [gone.id, outsider.id, MISSING_ID]) {
      const res = await manager.agent.post(`/api/schedules/${schedule.id}/shifts`).send({ userId, position: 'Bar', startsAt: at(1, '09:00'), endsAt: at(1, '17:00') });
      expect(expectProblem(res, 422, 'unprocessable').errors).toEqual([{ path: 'userId', message: expect.any(String) }]);
    }
    expect(await shiftsOf(schedule.id)).toEqual([]);
  });

  it('the same person cannot be double-booked across two locations: 409 shift_overlap naming the shift in the way', async () => {
    const both = await s.crew([venue, other]);
    const here = await week();
    const there = await s.schedule(other, { weekStart: here.weekStart });
    const first = await manager.agent
      .post(`/api/schedules/${here.schedule.id}/shifts`)
      .send({ userId: both.id, position: 'Bar', startsAt: here.at(2, '12:00'), endsAt: here.at(2, '20:00') })
      .expect(201);
    const res = await otherManager.agent
      .post(`/api/schedules/${there.id}/shifts`)
      .send({ userId: both.id, position: 'Garden', startsAt: here.at(2, '19:00'), endsAt: here.at(2, '23:00') });
    expect(expectProblem(res, 409, 'shift_overlap').conflicts).toEqual([first.body.id]);
    expect(await shiftsOf(there.id)).toEqual([]);
  });

  it('of 10 concurrent overlapping creates for one person, exactly one wins; the rest are 409 naming it', async () => {
    const person = await s.crew([venue]);
    const { schedule, at } = await week();
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        manager.agent
          .post(`/api/schedules/${schedule.id}/shifts`)
          .send({ userId: person.id, position: `Bar ${i}`, startsAt: hoursAfter(at(3, '10:00'), i * 0.25), endsAt: hoursAfter(at(3, '18:00'), i * 0.25) }),
      ),
    );
    const won = results.filter((r) => r.status === 201);
    expect(won).toHaveLength(1);
    const winner = savedShift(won[0]!.body);
    for (const lost of results.filter((r) => r.status !== 201)) {
      expect(expectProblem(lost, 409, 'shift_overlap').conflicts).toEqual([winner.id]);
    }
    expect((await shiftsOf(schedule.id)).map((r) => r.id)).toEqual([winner.id]);
  });

  it('two concurrent overlapping creates, over and over: always one 201 and one 409, never a 500', async () => {
    // Both rows can go in before either is checked; Postgres then breaks the tie as a deadlock.
    const { schedule, at } = await week();
    for (let round = 0; round < 6; round++) {
      const person = await s.crew([venue]);
      const [a, b] = await Promise.all(
        [0, 1].map((i) =>
          manager.agent
            .post(`/api/schedules/${schedule.id}/shifts`)
            .send({ userId: person.id, position: 'Bar', startsAt: hoursAfter(at(round % 7, '08:00'), i), endsAt: hoursAfter(at(round % 7, '16:00'), i) }),
        ),
      );
      expect([a!.status, b!.status].sort()).toEqual([201, 409]);
      const [winner, loser] = a!.status === 201 ? [a!, b!] : [b!, a!];
      expect(expectProblem(loser, 409, 'shift_overlap').conflicts).toEqual([winner.body.id]);
    }
  });

  it('crew may see a published week but not add to it: 403', async () => {
    const { schedule, at } = await week({ status: 'published' });
    expectProblem(await crew.agent.post(`/api/schedules/${schedule.id}/shifts`).send({ position: 'Bar', startsAt: at(1, '09:00'), endsAt: at(1, '17:00') }), 403, 'forbidden');
    expect(await shiftsOf(schedule.id)).toEqual([]);
  });

  it('a draft, or another location’s week, does not exist for outsiders: 404', async () => {
    const draft = await week();
    expectProblem(await crew.agent.post(`/api/schedules/${draft.schedule.id}/shifts`).send({ position: 'Bar', startsAt: draft.at(1, '09:00'), endsAt: draft.at(1, '17:00') }), 404, 'not_found');
    expectProblem(await otherManager.agent.post(`/api/schedules/${draft.schedule.id}/shifts`).send({ position: 'Bar', startsAt: draft.at(1, '09:00'), endsAt: draft.at(1, '17:00') }), 404, 'not_found');
    expectProblem(await admin.agent.post(`/api/schedules/${MISSING_ID}/shifts`).send({ position: 'Bar', startsAt: draft.at(1, '09:00'), endsAt: draft.at(1, '17:00') }), 404, 'not_found');
    expect(await shiftsOf(draft.schedule.id)).toEqual([]);
  });

  it('without a session: 401; with an invalid id: 400', async () => {
    const { schedule, at } = await week();
    expectProblem(await s.anonymous().post(`/api/schedules/${schedule.id}/shifts`).send({ position: 'Bar', startsAt: at(1, '09:00'), endsAt: at(1, '17:00') }), 401, 'unauthenticated');
    expectProblem(await admin.agent.post('/api/schedules/0/shifts').send({ position: 'Bar', startsAt: at(1, '09:00'), endsAt: at(1, '17:00') }), 400, 'validation_failed');
  });
});

type At = (day: number, time: string) => string;

describe('PATCH /api/schedules/:id/shifts/:shiftId', () => {
  it('moves a shift, changes its person, or opens it; the week shows the change at once', async () => {
    const { schedule, at } = await week();
    const colleague = await s.crew([venue]);
    const shift = await s.shift(schedule, { userId: crew.id, startsAt: at(1, '09:00'), endsAt: at(1, '17:00') });
    await manager.agent.get(`/api/schedules/${schedule.id}`).expect(200);

    const moved = await manager.agent.patch(`/api/schedules/${schedule.id}/shifts/${shift.id}`).send({ startsAt: at(1, '10:00'), endsAt: at(1, '18:00') }).expect(200);
    expect(savedShift(moved.body)).toMatchObject({ id: shift.id, userId: crew.id, startsAt: at(1, '10:00'), endsAt: at(1, '18:00') });
    const given = await manager.agent.patch(`/api/schedules/${schedule.id}/shifts/${shift.id}`).send({ userId: colleague.id, notes: 'swap' }).expect(200);
    expect(savedShift(given.body)).toMatchObject({ userId: colleague.id, userName: colleague.name, notes: 'swap' });
    const opened = await manager.agent.patch(`/api/schedules/${schedule.id}/shifts/${shift.id}`).send({ userId: null, notes: null }).expect(200);
    expect(savedShift(opened.body)).toMatchObject({ userId: null, userName: null, notes: null });

    expect(Schedule.parse((await manager.agent.get(`/api/schedules/${schedule.id}`).expect(200)).body).shifts).toEqual([savedShift(opened.body)]);
  });

  it('the same rules as for a new shift: order, length, week, person, overlap', async () => {
    const { schedule, at } = await week();
    const shift = await s.shift(schedule, { userId: crew.id, startsAt: at(2, '09:00'), endsAt: at(2, '17:00') });
    const blocker = await s.shift(schedule, { userId: crew.id, startsAt: at(3, '09:00'), endsAt: at(3, '17:00') });
    const outsider = await s.crew([other]);
    const url = `/api/schedules/${schedule.id}/shifts/${shift.id}`;
    expectProblem(await manager.agent.patch(url).send({ endsAt: at(2, '08:00') }), 400, 'validation_failed');
    expectProblem(await manager.agent.patch(url).send({ endsAt: at(3, '02:00') }), 400, 'validation_failed');
    expectProblem(await manager.agent.patch(url).send({ startsAt: at(7, '09:00'), endsAt: at(7, '17:00') }), 400, 'validation_failed');
    expectProblem(await manager.agent.patch(url).send({ userId: outsider.id }), 422, 'unprocessable');
    const overlap = await manager.agent.patch(url).send({ startsAt: at(3, '08:00'), endsAt: at(3, '10:00') });
    expect(expectProblem(overlap, 409, 'shift_overlap').conflicts).toEqual([blocker.id]);
    // Nothing of it stuck.
    const [row] = await s.db.select().from(shifts).where(eq(shifts.id, shift.id));
    expect(row).toMatchObject({ userId: crew.id, startsAt: new Date(at(2, '09:00')), endsAt: new Date(at(2, '17:00')) });
  });

  it('a shift keeps a person deactivated since: its time and notes still change; giving it to them anew is a 422', async () => {
    const { schedule, at } = await week();
    const leaver = await s.crew([venue]);
    const shift = await s.shift(schedule, { userId: leaver.id, startsAt: at(1, '09:00'), endsAt: at(1, '17:00') });
    const open = await s.shift(schedule, { startsAt: at(2, '09:00'), endsAt: at(2, '17:00') });
    await admin.agent.delete(`/api/users/${leaver.id}`).expect(204);
    const url = `/api/schedules/${schedule.id}/shifts/${shift.id}`;
    await manager.agent.patch(url).send({ notes: 'cover needed' }).expect(200);
    await manager.agent.patch(url).send({ userId: leaver.id, startsAt: at(1, '10:00') }).expect(200);
    const res = await manager.agent.patch(`/api/schedules/${schedule.id}/shifts/${open.id}`).send({ userId: leaver.id });
    expect(expectProblem(res, 422, 'unprocessable').errors).toEqual([{ path: 'userId', message: 'is not an active user' }]);
  });

  it('a shift of another schedule, or none, is a 404', async () => {
    const a = await week();
    const b = await week();
    const shift = await s.shift(b.schedule, { startsAt: b.at(1, '09:00'), endsAt: b.at(1, '17:00') });
    expectProblem(await manager.agent.patch(`/api/schedules/${a.schedule.id}/shifts/${shift.id}`).send({ position: 'x' }), 404, 'not_found');
    expectProblem(await manager.agent.patch(`/api/schedules/${a.schedule.id}/shifts/${MISSING_ID}`).send({ position: 'x' }), 404, 'not_found');
    expect((await s.db.select().from(shifts).where(eq(shifts.id, shift.id)))[0]?.position).toBe('Bartender');
  });

  it('crew get a 403 on a published week; an empty or unknown change is a 400; ids must be ids', async () => {
    const { schedule, at } = await week({ status: 'published' });
    const shift = await s.shift(schedule, { startsAt: at(1, '09:00'), endsAt: at(1, '17:00') });
    expectProblem(await crew.agent.patch(`/api/schedules/${schedule.id}/shifts/${shift.id}`).send({ position: 'Mine' }), 403, 'forbidden');
    expectProblem(await manager.agent.patch(`/api/schedules/${schedule.id}/shifts/${shift.id}`).send({}), 400, 'validation_failed');
    expectProblem(await manager.agent.patch(`/api/schedules/${schedule.id}/shifts/${shift.id}`).send({ scheduleId: 1 }), 400, 'validation_failed');
    expectProblem(await manager.agent.patch(`/api/schedules/${schedule.id}/shifts/abc`).send({ position: 'x' }), 400, 'validation_failed');
  });
});

describe('DELETE /api/schedules/:id/shifts/:shiftId', () => {
  it('removes the shift: 204, and the week no longer shows it', async () => {
    const { schedule, at } = await week();
    const shift = await s.shift(schedule, { userId: crew.id, startsAt: at(1, '09:00'), endsAt: at(1, '17:00') });
    await manager.agent.get(`/api/schedules/${schedule.id}`).expect(200);
    const res = await manager.agent.delete(`/api/schedules/${schedule.id}/shifts/${shift.id}`).expect(204);
    expect(res.text).toBe('');
    expect((await manager.agent.get(`/api/schedules/${schedule.id}`).expect(200)).body.shifts).toEqual([]);
    expectProblem(await manager.agent.delete(`/api/schedules/${schedule.id}/shifts/${shift.id}`), 404, 'not_found');
  });

  it('crew get a 403 on a published week, outsiders a 404; the shift stays', async () => {
    const { schedule, at } = await week({ status: 'published' });
    const shift = await s.shift(schedule, { startsAt: at(1, '09:00'), endsAt: at(1, '17:00') });
    expectProblem(await crew.agent.delete(`/api/schedules/${schedule.id}/shifts/${shift.id}`), 403, 'forbidden');
    expectProblem(await otherManager.agent.delete(`/api/schedules/${schedule.id}/shifts/${shift.id}`), 404, 'not_found');
    expect(await shiftsOf(schedule.id)).toHaveLength(1);
  });

  it('an invalid id is a 400, no session a 401', async () => {
    const { schedule, at } = await week();
    const shift = await s.shift(schedule, { startsAt: at(1, '09:00'), endsAt: at(1, '17:00') });
    expectProblem(await manager.agent.delete(`/api/schedules/${schedule.id}/shifts/99999999999999999999`), 400, 'validation_failed');
    expectProblem(await s.anonymous().delete(`/api/schedules/${schedule.id}/shifts/${shift.id}`), 401, 'unauthenticated');
    expect(await shiftsOf(schedule.id)).toHaveLength(1);
  });
});

describe('POST /api/schedules/:id/shifts/:shiftId/claim', () => {
  it('a crew member takes an open shift of a published week: 200 with the shift, now theirs', async () => {
    const taker = await s.crew([venue]);
    const { schedule, at } = await week({ status: 'published' });
    const open = await s.shift(schedule, { position: 'Door', startsAt: at(5, '20:00'), endsAt: at(6, '02:00') });
    await taker.agent.get(`/api/schedules/${schedule.id}`).expect(200);
    const res = await taker.agent.post(`/api/schedules/${schedule.id}/shifts/${open.id}/claim`).expect(200);
    expect(Shift.parse(res.body)).toEqual({
      id: open.id,
      scheduleId: schedule.id,
      userId: taker.id,
      userName: taker.name,
      position: 'Door',
      startsAt: at(5, '20:00'),
      endsAt: at(6, '02:00'),
      notes: null,
      version: 2,
    });
    // Everyone sees it taken at once, and it cannot be taken again.
    expect(Schedule.parse((await crew.agent.get(`/api/schedules/${schedule.id}`).expect(200)).body).shifts[0]?.userId).toBe(taker.id);
    expectProblem(await crew.agent.post(`/api/schedules/${schedule.id}/shifts/${open.id}/claim`), 409, 'shift_taken');
  });

  it('of 5 concurrent claims of one open shift exactly one wins; the others get 409 shift_taken', async () => {
    const takers = await Promise.all([1, 2, 3, 4, 5].map(() => s.crew([venue])));
    const { schedule, at } = await week({ status: 'published' });
    const open = await s.shift(schedule, { startsAt: at(2, '09:00'), endsAt: at(2, '17:00') });
    const results = await Promise.all(takers.map((p) => p.agent.post(`/api/schedules/${schedule.id}/shifts/${open.id}/claim`)));
    const won = results.filter((r) => r.status === 200);
    expect(won).toHaveLength(1);
    for (const lost of results.filter((r) => r.status !== 200)) expectProblem(lost, 409, 'shift_taken');
    const winner = takers[results.indexOf(won[0]!)]!;
    expect((await s.db.select().from(shifts).where(eq(shifts.id, open.id)))[0]?.userId).toBe(winner.id);
  });

  it('a claim that would overlap one of the claimant’s shifts is a 409 shift_overlap, and the shift stays open', async () => {
    const taker = await s.crew([venue, other]);
    const { schedule, weekStart, at } = await week({ status: 'published' });
    const elsewhere = await s.schedule(other, { weekStart });
    const mine = await s.shift(elsewhere, { userId: taker.id, startsAt: at(2, '08:00'), endsAt: at(2, '12:00') });
    const open = await s.shift(schedule, { startsAt: at(2, '11:00'), endsAt: at(2, '15:00') });
    const res = await taker.agent.post(`/api/schedules/${schedule.id}/shifts/${open.id}/claim`);
    expect(expectProblem(res, 409, 'shift_overlap').conflicts).toEqual([mine.id]);
    expect((await s.db.select().from(shifts).where(eq(shifts.id, open.id)))[0]?.userId).toBeNull();
  });

  it('a shift already given to someone is a 409 shift_taken', async () => {
    const { schedule, at } = await week({ status: 'published' });
    const given = await s.shift(schedule, { userId: crew.id, startsAt: at(1, '09:00'), endsAt: at(1, '17:00') });
    const taker = await s.crew([venue]);
    expectProblem(await taker.agent.post(`/api/schedules/${schedule.id}/shifts/${given.id}/claim`), 409, 'shift_taken');
  });

  it('a shift that has already started can no longer be taken: 422', async () => {
    const started = await s.schedule(venue, { weekStart: '2021-03-01', status: 'published' });
    const open = await s.shift(started, { startsAt: localTime('2021-03-01', 3, '09:00'), endsAt: localTime('2021-03-01', 3, '17:00') });
    expectProblem(await crew.agent.post(`/api/schedules/${started.id}/shifts/${open.id}/claim`), 422, 'unprocessable');
    expect((await s.db.select().from(shifts).where(eq(shifts.id, open.id)))[0]?.userId).toBeNull();
  });

  it('a draft week does not exist for crew: 404', async () => {
    const { schedule, at } = await week();
    const open = await s.shift(schedule, { startsAt: at(1, '09:00'), endsAt: at(1, '17:00') });
    expectProblem(await crew.agent.post(`/api/schedules/${schedule.id}/shifts/${open.id}/claim`), 404, 'not_found');
  });

  it('crew of another location get a 404; managers, who assign rather than claim, a 403', async () => {
    const { schedule, at } = await week({ status: 'published' });
    const open = await s.shift(schedule, { startsAt: at(1, '09:00'), endsAt: at(1, '17:00') });
    const outsider = await s.crew([other]);
    expectProblem(await outsider.agent.post(`/api/schedules/${schedule.id}/shifts/${open.id}/claim`), 404, 'not_found');
    expectProblem(await manager.agent.post(`/api/schedules/${schedule.id}/shifts/${open.id}/claim`), 403, 'forbidden');
    expect((await s.db.select().from(shifts).where(and(eq(shifts.id, open.id))))[0]?.userId).toBeNull();
  });

  it('an unknown shift is a 404, an invalid id a 400, no session a 401', async () => {
    const { schedule, at } = await week({ status: 'published' });
    const open = await s.shift(schedule, { startsAt: at(1, '09:00'), endsAt: at(1, '17:00') });
    expectProblem(await crew.agent.post(`/api/schedules/${schedule.id}/shifts/${MISSING_ID}/claim`), 404, 'not_found');
    expectProblem(await crew.agent.post(`/api/schedules/${schedule.id}/shifts/-1/claim`), 400, 'validation_failed');
    expectProblem(await s.anonymous().post(`/api/schedules/${schedule.id}/shifts/${open.id}/claim`), 401, 'unauthenticated');
  });
});

describe('claiming, against a week unpublished meanwhile', () => {
  it('checks in the claim’s own transaction that the week is still published, so a claim racing an unpublish takes nothing', async () => {
    const { schedule, at } = await week({ status: 'published' });
    const open = await s.shift(schedule, { startsAt: at(1, '09:00'), endsAt: at(1, '17:00') });
    // The crew member's cached copy still says published: the unpublish lands between the check and the claim.
    await crew.agent.get(`/api/schedules/${schedule.id}`).expect(200);
    await s.db.update(schedules).set({ status: 'draft', publishedAt: null }).where(eq(schedules.id, schedule.id));
    expectProblem(await crew.agent.post(`/api/schedules/${schedule.id}/shifts/${open.id}/claim`), 404, 'not_found');
    expect((await s.db.select().from(shifts).where(eq(shifts.id, open.id)))[0]).toMatchObject({ userId: null, version: 1 });
  });
});

describe('the shift repository in the write path, with two writers at once', () => {
  it('when Postgres settles an overlap race as a deadlock, the aborted insert is sent again and answered 409, never a 500', async () => {
    // A deadlock made on purpose: another transaction holds one shift of the person, the
    // repository's insert waits for it, then that transaction adds a shift overlapping the waiting
    // one. Postgres aborts the side whose deadlock check runs first: the repository's, which waits
    // first (the other side checks only after 60 s); the write path sends its transaction again.
    const repo = createSchedulesRepository(s.db);
    const { writes } = createWrites(t.deps);
    const person = await s.crew([venue]);
    const { schedule, at } = await week();
    const other = new pg.Client({ connectionString: t.deps.config.database.url });
    await other.connect();
    try {
      await other.query('begin');
      await other.query("set local deadlock_timeout = '60s'");
      const pid = (await other.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;
      const insert = 'insert into shifts (schedule_id, user_id, position, starts_at, ends_at) values ($1, $2, $3, $4, $5) returning id';
      const first = await other.query<{ id: number }>(insert, [schedule.id, person.id, 'Bar', at(1, '10:00'), at(1, '12:00')]);
      const attempt = writes
        .run((tx) => repo.insertShift(tx, schedule.id, { userId: person.id, position: 'Bar', startsAt: new Date(at(1, '11:00')), endsAt: new Date(at(1, '13:00')), notes: null }, manager.id))
        .then((id) => ({ id }), (error: unknown) => ({ error }));
      // Until the repository's insert waits for this transaction.
      const waiting = async () => {
        const result = await s.db.execute(sql`select count(*)::int as n from pg_stat_activity where ${pid}::int = any(pg_blocking_pids(pid))`);
        return (result as unknown as { rows: Array<{ n: number }> }).rows[0]!.n;
      };
      for (const deadline = Date.now() + 10_000; (await waiting()) === 0 && Date.now() < deadline; ) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(await waiting()).toBe(1);
      // Blocks until Postgres has aborted the repository's insert, which then waits for this commit.
      const second = await other.query<{ id: number }>(insert, [schedule.id, person.id, 'Bar', at(1, '12:30'), at(1, '14:00')]);
      await other.query('commit');
      // Only an insert sent again after that commit can name both shifts: the first attempt was
      // aborted before the second existed.
      const outcome = await attempt;
      expect('error' in outcome && outcome.error).toBeInstanceOf(AppError);
      expect('error' in outcome && outcome.error).toMatchObject({ code: 'shift_overlap', conflicts: [first.rows[0]!.id, second.rows[0]!.id] });
    } finally {
      await other.end();
    }
  });
});
