import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eq } from 'drizzle-orm';
import { CreatedSchedule, Schedule } from '../../shared/schemas/schedules.js';
import { schedules } from '../db/schema.js';
import { createApiTestApp, expectProblem, savedShift, localTime, scenario, type Person, type Scenario } from '../../test/support/api.js';
import type { TestApp } from '../../test/support/test-app.js';

/**
 * A week runs from Monday 00:00 to the next Monday 00:00 in the location's own zone (API.md), so
 * the week of a daylight-saving change is 167 or 169 hours long, and copying a week keeps local
 * wall-clock times rather than adding 168 hours. In Europe/Amsterdam in 2027 the clocks go forward
 * on Sunday 28 March (02:00 CET → 03:00 CEST) and back on Sunday 31 October (03:00 CEST → 02:00 CET).
 *
 * These weeks are fixed dates, so each test uses a location of its own.
 */

let t: TestApp;
let s: Scenario;

beforeAll(async () => {
  t = await createApiTestApp('dst');
  s = scenario(t);
});
afterAll(() => t.close());

async function amsterdam() {
  const location = await s.location({ name: 'Canal House', timezone: 'Europe/Amsterdam' });
  const manager = await s.manager([location]);
  const worker = await s.crew([location]);
  return { location, manager, worker };
}

const addShift = (who: Person, scheduleId: number, body: Record<string, unknown>) =>
  who.agent.post(`/api/schedules/${scheduleId}/shifts`).send({ position: 'Bar', ...body });

describe('the week of the spring-forward change (Europe/Amsterdam, Monday 2027-03-22)', () => {
  it('runs 167 hours: it takes a shift on Sunday 23:00 local and refuses one on the next Monday 00:30 local', async () => {
    const { location, manager } = await amsterdam();
    const created = await manager.agent.post('/api/schedules').send({ locationId: location.id, weekStart: '2027-03-22' }).expect(201);
    const id = created.body.id as number;

    // Monday 00:00 CET is 23:00 UTC the day before: the first instant of the week.
    expect((await addShift(manager, id, { startsAt: '2027-03-21T23:00:00Z', endsAt: '2027-03-22T03:00:00Z' })).status).toBe(201);
    expectProblem(await addShift(manager, id, { startsAt: '2027-03-21T22:59:59Z', endsAt: '2027-03-22T03:00:00Z' }), 400, 'validation_failed');

    // Sunday 23:00 CEST (after the change) is 21:00 UTC.
    const sunday = await addShift(manager, id, { startsAt: '2027-03-28T23:00:00+02:00', endsAt: '2027-03-29T03:00:00+02:00' });
    expect(sunday.status).toBe(201);
    expect(savedShift(sunday.body)).toMatchObject({ startsAt: '2027-03-28T21:00:00.000Z', endsAt: '2027-03-29T01:00:00.000Z' });

    // Monday 00:30 CEST belongs to the next week: 22:30 UTC, only 167.5 hours after the week began.
    const monday = await addShift(manager, id, { startsAt: '2027-03-29T00:30:00+02:00', endsAt: '2027-03-29T06:00:00+02:00' });
    expect(expectProblem(monday, 400, 'validation_failed').errors).toEqual([{ path: 'startsAt', message: expect.any(String) }]);
    // The last instant of the week is 22:00 UTC minus a millisecond.
    expect((await addShift(manager, id, { startsAt: '2027-03-28T21:59:59.999Z', endsAt: '2027-03-28T23:00:00Z' })).status).toBe(201);
    expectProblem(await addShift(manager, id, { startsAt: '2027-03-28T22:00:00Z', endsAt: '2027-03-28T23:00:00Z' }), 400, 'validation_failed');
  });

  it('a shift across the change is measured in real hours: 23:00 to 08:00 local is 8 hours', async () => {
    const { location, manager, worker } = await amsterdam();
    const created = await manager.agent.post('/api/schedules').send({ locationId: location.id, weekStart: '2027-03-22' }).expect(201);
    const res = await addShift(manager, created.body.id, { userId: worker.id, startsAt: '2027-03-27T23:00:00+01:00', endsAt: '2027-03-28T08:00:00+02:00' }).expect(201);
    const shift = savedShift(res.body);
    expect(new Date(shift.endsAt).getTime() - new Date(shift.startsAt).getTime()).toBe(8 * 3_600_000);
  });
});

describe('the week of the fall-back change (Europe/Amsterdam, Monday 2027-10-25)', () => {
  it('runs 169 hours: Sunday 23:30 local is inside it, Monday 00:00 local is not', async () => {
    const { location, manager } = await amsterdam();
    const created = await manager.agent.post('/api/schedules').send({ locationId: location.id, weekStart: '2027-10-25' }).expect(201);
    const id = created.body.id as number;
    expect((await addShift(manager, id, { startsAt: '2027-10-24T22:00:00Z', endsAt: '2027-10-25T02:00:00Z' })).status).toBe(201);
    expect((await addShift(manager, id, { startsAt: '2027-10-31T23:30:00+01:00', endsAt: '2027-11-01T02:00:00+01:00' })).status).toBe(201);
    expectProblem(await addShift(manager, id, { startsAt: '2027-11-01T00:00:00+01:00', endsAt: '2027-11-01T02:00:00+01:00' }), 400, 'validation_failed');
  });
});

describe('POST /api/schedules with copyFromScheduleId across a change', () => {
  it('keeps local wall-clock times: 09:00–17:00 before spring-forward is 09:00–17:00 after, an hour earlier in UTC', async () => {
    const { location, manager, worker } = await amsterdam();
    const source = await manager.agent.post('/api/schedules').send({ locationId: location.id, weekStart: '2027-03-22' }).expect(201);
    // Tuesday 23 March, 09:00–17:00 CET (UTC+1); and an open overnight shift across the change itself.
    await addShift(manager, source.body.id, { userId: worker.id, startsAt: '2027-03-23T09:00:00+01:00', endsAt: '2027-03-23T17:00:00+01:00' }).expect(201);
    await addShift(manager, source.body.id, { startsAt: '2027-03-27T22:00:00+01:00', endsAt: '2027-03-28T06:00:00+02:00' }).expect(201);

    const res = await manager.agent
      .post('/api/schedules')
      .send({ locationId: location.id, weekStart: '2027-03-29', copyFromScheduleId: source.body.id })
      .expect(201);
    const copy = CreatedSchedule.parse(res.body);
    expect(copy.skipped).toEqual([]);
    expect(copy.shifts.map(({ userId, startsAt, endsAt }) => ({ userId, startsAt, endsAt }))).toEqual([
      // Tuesday 30 March, 09:00–17:00 CEST (UTC+2): 07:00Z, where the source was 08:00Z.
      { userId: worker.id, startsAt: '2027-03-30T07:00:00.000Z', endsAt: '2027-03-30T15:00:00.000Z' },
      // Saturday 22:00 to Sunday 06:00, both CEST now: 8 hours, where the source night had 7.
      { userId: null, startsAt: '2027-04-03T20:00:00.000Z', endsAt: '2027-04-04T04:00:00.000Z' },
    ]);
  });

  it('keeps local wall-clock times across fall-back too: its UTC start moves an hour later', async () => {
    const { location, manager, worker } = await amsterdam();
    const source = await manager.agent.post('/api/schedules').send({ locationId: location.id, weekStart: '2027-10-25' }).expect(201);
    await addShift(manager, source.body.id, { userId: worker.id, startsAt: '2027-10-26T09:00:00+02:00', endsAt: '2027-10-26T17:00:00+02:00' }).expect(201);
    const res = await manager.agent
      .post('/api/schedules')
      .send({ locationId: location.id, weekStart: '2027-11-01', copyFromScheduleId: source.body.id })
      .expect(201);
    expect(CreatedSchedule.parse(res.body).shifts.map(({ startsAt, endsAt }) => ({ startsAt, endsAt }))).toEqual([
      { startsAt: '2027-11-02T08:00:00.000Z', endsAt: '2027-11-02T16:00:00.000Z' },
    ]);
  });

  it('a 16-hour shift that would become 17 hours across fall-back is skipped as too long', async () => {
    const { location, manager, worker } = await amsterdam();
    const source = await manager.agent.post('/api/schedules').send({ locationId: location.id, weekStart: '2027-10-18' }).expect(201);
    const long = await addShift(manager, source.body.id, { userId: worker.id, startsAt: '2027-10-23T14:00:00+02:00', endsAt: '2027-10-24T06:00:00+02:00' }).expect(201);
    const res = await manager.agent
      .post('/api/schedules')
      .send({ locationId: location.id, weekStart: '2027-10-25', copyFromScheduleId: source.body.id })
      .expect(201);
    const copy = CreatedSchedule.parse(res.body);
    expect(copy.shifts).toEqual([]);
    expect(copy.skipped).toEqual([{ shiftId: long.body.id, reason: 'too_long', conflicts: [] }]);
  });

  it('a short shift inside the repeated hour of fall-back keeps its length when copied, instead of ending before it starts', async () => {
    const { location, manager } = await amsterdam();
    const source = await manager.agent.post('/api/schedules').send({ locationId: location.id, weekStart: '2027-10-25' }).expect(201);
    // 02:30 CEST to 02:10 CET on Sunday 31 October: 40 minutes, though the clock reads backwards.
    await addShift(manager, source.body.id, { startsAt: '2027-10-31T02:30:00+02:00', endsAt: '2027-10-31T02:10:00+01:00' }).expect(201);
    const res = await manager.agent
      .post('/api/schedules')
      .send({ locationId: location.id, weekStart: '2027-11-01', copyFromScheduleId: source.body.id })
      .expect(201);
    const copy = CreatedSchedule.parse(res.body);
    expect(copy.skipped).toEqual([]);
    expect(copy.shifts.map(({ startsAt, endsAt }) => ({ startsAt, endsAt }))).toEqual([
      // Sunday 7 November, 02:30 CET, for the same 40 minutes.
      { startsAt: '2027-11-07T01:30:00.000Z', endsAt: '2027-11-07T02:10:00.000Z' },
    ]);
  });

  it('a week that does not start on Monday is refused before anything is copied', async () => {
    const { location, manager } = await amsterdam();
    expectProblem(
      await manager.agent.post('/api/schedules').send({ locationId: location.id, weekStart: '2027-03-28', copyFromScheduleId: 1 }),
      400,
      'validation_failed',
    );
    expect(await s.db.select().from(schedules).where(eq(schedules.locationId, location.id))).toEqual([]);
  });
});

describe('the ends of the calendar the API takes (years 1900 to 9998)', () => {
  it('a week of 1900, when Kolkata kept an offset of +05:21:10, keeps its shifts to the second', async () => {
    const location = await s.location({ name: 'Park Street', timezone: 'Asia/Kolkata' });
    const [manager, worker] = await Promise.all([s.manager([location]), s.crew([location])]);
    const at = (time: string) => localTime('1900-01-01', 0, time, 'Asia/Kolkata');
    const created = await manager.agent.post('/api/schedules').send({ locationId: location.id, weekStart: '1900-01-01' }).expect(201);
    expect(at('09:00')).toBe('1900-01-01T03:38:50.000Z');
    await addShift(manager, created.body.id, { userId: worker.id, startsAt: at('09:00'), endsAt: at('17:00') }).expect(201);
    for (const _read of ['from Postgres', 'from the cache']) {
      const week = Schedule.parse((await manager.agent.get(`/api/schedules/${created.body.id}`).expect(200)).body);
      expect(week.shifts.map((shift) => [shift.startsAt, shift.endsAt])).toEqual([[at('09:00'), at('17:00')]]);
    }
  });

  it('the last week, 9998-12-28 at UTC−11, takes an overnight Sunday shift and can be copied into', async () => {
    const location = await s.location({ name: 'Harbour', timezone: 'Pacific/Pago_Pago' });
    const manager = await s.manager([location]);
    const at = (week: string, day: number, time: string) => localTime(week, day, time, 'Pacific/Pago_Pago');
    const source = await manager.agent.post('/api/schedules').send({ locationId: location.id, weekStart: '9998-12-21' }).expect(201);
    await addShift(manager, source.body.id, { startsAt: at('9998-12-21', 6, '20:00'), endsAt: at('9998-12-21', 7, '08:00') }).expect(201);
    const copy = await manager.agent
      .post('/api/schedules')
      .send({ locationId: location.id, weekStart: '9998-12-28', copyFromScheduleId: source.body.id })
      .expect(201);
    expect(CreatedSchedule.parse(copy.body).shifts.map((shift) => [shift.startsAt, shift.endsAt])).toEqual([
      [at('9998-12-28', 6, '20:00'), at('9998-12-28', 7, '08:00')],
    ]);
  });

  it.each(['1899-12-25', '9999-01-04'])('a week starting %s is a 400', async (weekStart) => {
    const { location, manager } = await amsterdam();
    expectProblem(await manager.agent.post('/api/schedules').send({ locationId: location.id, weekStart }), 400, 'validation_failed');
    expect(await s.db.select().from(schedules).where(eq(schedules.locationId, location.id))).toEqual([]);
  });
});
