import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Labor, SavedShift, Warnings } from '../../shared/schemas/planning.js';
import { createApiTestApp, expectProblem, localTime, scenario, type Person, type Scenario } from '../../test/support/api.js';
import type { TestApp } from '../../test/support/test-app.js';

/**
 * GET /api/schedules/:id/warnings and `warnings` on a saved shift (API.md): every code, each read
 * in the zone of the shift's location, and GET /api/schedules/:id/labor.
 */

let t: TestApp;
let s: Scenario;

beforeAll(async () => {
  t = await createApiTestApp('warnings');
  s = scenario(t);
});
afterAll(() => t.close());

async function setting(timezone: string) {
  const location = await s.location({ timezone });
  const other = await s.location({ timezone, name: 'Harbour Kitchen' });
  const manager = await s.manager([location, other]);
  const worker = await s.crew([location, other]);
  return { location, other, manager, worker };
}

const addShift = (who: Person, scheduleId: number, body: Record<string, unknown>) =>
  who.agent.post(`/api/schedules/${scheduleId}/shifts`).send({ position: 'Bar', ...body });

async function warningsOf(who: Person, scheduleId: number) {
  const res = await who.agent.get(`/api/schedules/${scheduleId}/warnings`).expect(200);
  return Warnings.parse(res.body).items;
}

describe('warnings', () => {
  it('time off, pending and approved, on the shift’s local day', async () => {
    const { location, manager, worker } = await setting('Europe/Amsterdam');
    const week = await s.schedule(location, { weekStart: '2031-03-03' });
    await worker.agent.post('/api/time-off').send({ startsOn: '2031-03-05', endsOn: '2031-03-05' }).expect(201);
    const res = await addShift(manager, week.id, { userId: worker.id, startsAt: localTime('2031-03-03', 2, '10:00'), endsAt: localTime('2031-03-03', 2, '18:00') }).expect(201);
    expect(SavedShift.parse(res.body).warnings).toEqual(['time_off_pending']);
    // The day before, until 23:59 local: no warning (00:00 local is still 23:00 UTC the day before).
    const before = await addShift(manager, week.id, { userId: worker.id, startsAt: localTime('2031-03-03', 1, '15:00'), endsAt: localTime('2031-03-03', 1, '23:59') }).expect(201);
    expect(before.body.warnings).not.toContain('time_off_pending');
    const items = await warningsOf(manager, week.id);
    expect(items.filter((w) => w.code.startsWith('time_off'))).toEqual([
      { shiftId: res.body.id, userId: worker.id, code: 'time_off_pending', detail: 'Asked for time off on 2031-03-05' },
    ]);
  });

  it('short rest at another location, other location the same day, and hours over the limit', async () => {
    const { location, other, manager, worker } = await setting('America/New_York');
    await manager.agent.patch(`/api/users/${worker.id}`).send({ maxWeeklyHours: 10 }).expect(200);
    const a = await s.schedule(location, { weekStart: '2031-03-10' });
    const b = await s.schedule(other, { weekStart: '2031-03-10' });
    const zone = 'America/New_York';
    // Closing at B 16:00–23:00 on Tuesday, opening at A 06:00 Wednesday: 7 hours of rest.
    await addShift(manager, b.id, { userId: worker.id, startsAt: localTime('2031-03-10', 1, '16:00', zone), endsAt: localTime('2031-03-10', 1, '23:00', zone) }).expect(201);
    const opening = await addShift(manager, a.id, { userId: worker.id, startsAt: localTime('2031-03-10', 2, '06:00', zone), endsAt: localTime('2031-03-10', 2, '10:00', zone) }).expect(201);
    expect(opening.body.warnings).toEqual(['short_rest', 'over_hours']);
    const items = await warningsOf(manager, a.id);
    expect(items).toEqual([
      { shiftId: opening.body.id, userId: worker.id, code: 'short_rest', detail: 'Only 7 h 00 min of rest after their previous shift' },
      { shiftId: opening.body.id, userId: worker.id, code: 'over_hours', detail: '11 h this week across all locations, above the limit of 10 h' },
    ]);
    const same = await addShift(manager, b.id, { userId: worker.id, startsAt: localTime('2031-03-10', 2, '20:00', zone), endsAt: localTime('2031-03-10', 2, '22:00', zone) }).expect(201);
    expect(same.body.warnings).toEqual(expect.arrayContaining(['other_location']));
  });

  it('is for managers of the location and admins: crew who see the week get 403, others 404', async () => {
    const { location, manager, worker } = await setting('UTC');
    const week = await s.schedule(location, { status: 'published' });
    expectProblem(await worker.agent.get(`/api/schedules/${week.id}/warnings`), 403, 'forbidden');
    const stranger = await s.manager([await s.location()]);
    expectProblem(await stranger.agent.get(`/api/schedules/${week.id}/warnings`), 404, 'not_found');
    await manager.agent.get(`/api/schedules/${week.id}/warnings`).expect(200);
  });
});

describe('labor', () => {
  it('hours and cost per person and day; open shifts count hours only; overtime across locations', async () => {
    const { location, other, manager, worker } = await setting('Europe/Amsterdam');
    await manager.agent.patch(`/api/users/${worker.id}`).send({ hourlyRate: '15.50', maxWeeklyHours: 8 }).expect(200);
    const a = await s.schedule(location, { weekStart: '2031-04-07' });
    const b = await s.schedule(other, { weekStart: '2031-04-07' });
    await addShift(manager, a.id, { userId: worker.id, startsAt: localTime('2031-04-07', 0, '09:00'), endsAt: localTime('2031-04-07', 0, '15:00') }).expect(201);
    await addShift(manager, a.id, { startsAt: localTime('2031-04-07', 1, '09:00'), endsAt: localTime('2031-04-07', 1, '13:00') }).expect(201);
    await addShift(manager, b.id, { userId: worker.id, startsAt: localTime('2031-04-07', 3, '09:00'), endsAt: localTime('2031-04-07', 3, '13:00') }).expect(201);
    const labor = Labor.parse((await manager.agent.get(`/api/schedules/${a.id}/labor`).expect(200)).body);
    expect(labor).toEqual({
      currency: 'EUR',
      hours: 10,
      cost: '93.00',
      byUser: [{ userId: worker.id, hours: 6, cost: '93.00', overtimeHours: 2 }],
      byDay: [
        { date: '2031-04-07', hours: 6, cost: '93.00' },
        { date: '2031-04-08', hours: 4, cost: '0.00' },
        { date: '2031-04-09', hours: 0, cost: '0.00' },
        { date: '2031-04-10', hours: 0, cost: '0.00' },
        { date: '2031-04-11', hours: 0, cost: '0.00' },
        { date: '2031-04-12', hours: 0, cost: '0.00' },
        { date: '2031-04-13', hours: 0, cost: '0.00' },
      ],
    });
  });
});

describe('the cached views', () => {
  it('answer the same bytes from the cache as from Postgres', async () => {
    const { location, manager, worker } = await setting('Australia/Sydney');
    const week = await s.schedule(location, { weekStart: '2031-05-05' });
    await manager.agent.post('/api/time-off').send({ userId: worker.id, startsOn: '2031-05-06', endsOn: '2031-05-06' }).expect(201);
    await addShift(manager, week.id, { userId: worker.id, startsAt: localTime('2031-05-05', 1, '10:00', 'Australia/Sydney'), endsAt: localTime('2031-05-05', 1, '14:00', 'Australia/Sydney') }).expect(201);
    for (const view of ['warnings', 'labor']) {
      const miss = await manager.agent.get(`/api/schedules/${week.id}/${view}`).expect(200);
      const hit = await manager.agent.get(`/api/schedules/${week.id}/${view}`).expect(200);
      expect(hit.text).toBe(miss.text);
      expect(hit.headers['cache-control']).toBe('no-store');
    }
  });

  it('labor follows a new rate and a shift at another location at once', async () => {
    const { location, other, manager, worker } = await setting('Europe/Amsterdam');
    await manager.agent.patch(`/api/users/${worker.id}`).send({ hourlyRate: '10.00', maxWeeklyHours: 4 }).expect(200);
    const [a, b] = [await s.schedule(location, { weekStart: '2031-06-02' }), await s.schedule(other, { weekStart: '2031-06-02' })];
    await addShift(manager, a.id, { userId: worker.id, startsAt: localTime('2031-06-02', 0, '09:00'), endsAt: localTime('2031-06-02', 0, '13:00') }).expect(201);
    const labor = async () => Labor.parse((await manager.agent.get(`/api/schedules/${a.id}/labor`).expect(200)).body);
    expect(await labor()).toMatchObject({ cost: '40.00', byUser: [{ userId: worker.id, overtimeHours: 0 }] });
    await manager.agent.patch(`/api/users/${worker.id}`).send({ hourlyRate: '12.50' }).expect(200);
    expect((await labor()).cost).toBe('50.00');
    await addShift(manager, b.id, { userId: worker.id, startsAt: localTime('2031-06-02', 2, '09:00'), endsAt: localTime('2031-06-02', 2, '12:00') }).expect(201);
    expect((await labor()).byUser).toEqual([{ userId: worker.id, hours: 4, cost: '50.00', overtimeHours: 3 }]);
  });
});

