import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Availability, TimeOff, Warnings } from '../../shared/schemas/planning.js';
import { User } from '../../shared/schemas/users.js';
import { createApiTestApp, expectProblem, localTime, scenario, type Person, type Scenario } from '../../test/support/api.js';
import type { TestApp } from '../../test/support/test-app.js';

/**
 * Availability, time off, and a person's rate and weekly limit (API.md, "Availability, time off,
 * warnings, labor"): what each may do, what is refused with a 400 naming the field (and changes
 * nothing), and how windows and days are read in the zone of the shift's location across DST.
 */

let t: TestApp;
let s: Scenario;

beforeAll(async () => {
  t = await createApiTestApp('planning');
  s = scenario(t);
});
afterAll(() => t.close());

async function team(timezone = 'Europe/Amsterdam') {
  const location = await s.location({ timezone });
  return { location, manager: await s.manager([location]), worker: await s.crew([location]) };
}

describe('GET/PUT /api/users/:id/availability', () => {
  it('a crew member sets their own windows; they come back sorted, 24:00 included', async () => {
    const { worker, manager } = await team();
    const unavailable = [
      { weekday: 5, from: '18:00', to: '24:00' },
      { weekday: 1, from: '00:00', to: '09:30' },
    ];
    const res = await worker.agent.put(`/api/users/${worker.id}/availability`).send({ unavailable }).expect(200);
    expect(Availability.parse(res.body)).toEqual({ unavailable: [unavailable[1], unavailable[0]] });
    expect((await manager.agent.get(`/api/users/${worker.id}/availability`).expect(200)).body).toEqual(res.body);
    await worker.agent.put(`/api/users/${worker.id}/availability`).send({ unavailable: [] }).expect(200);
    expect((await worker.agent.get(`/api/users/${worker.id}/availability`).expect(200)).body).toEqual({ unavailable: [] });
  });

  it.each([
    ['from after to', { weekday: 2, from: '18:00', to: '09:00' }, 'unavailable.0.to'],
    ['from equal to to', { weekday: 2, from: '09:00', to: '09:00' }, 'unavailable.0.to'],
    ['a weekday of 0', { weekday: 0, from: '09:00', to: '10:00' }, 'unavailable.0.weekday'],
    ['a weekday of 8', { weekday: 8, from: '09:00', to: '10:00' }, 'unavailable.0.weekday'],
    ['a time of 24:30', { weekday: 3, from: '09:00', to: '24:30' }, 'unavailable.0.to'],
    ['a time without minutes', { weekday: 3, from: '9', to: '10:00' }, 'unavailable.0.from'],
  ])('%s is a 400 naming the field, and nothing changes', async (_label, window, path) => {
    const { worker } = await team();
    await worker.agent.put(`/api/users/${worker.id}/availability`).send({ unavailable: [{ weekday: 1, from: '08:00', to: '09:00' }] }).expect(200);
    const problem = expectProblem(await worker.agent.put(`/api/users/${worker.id}/availability`).send({ unavailable: [window] }), 400, 'validation_failed');
    expect(problem.errors?.map((e) => e.path)).toContain(path);
    expect((await worker.agent.get(`/api/users/${worker.id}/availability`)).body.unavailable).toEqual([{ weekday: 1, from: '08:00', to: '09:00' }]);
  });
});

describe('time off', () => {
  it('crew ask (pending), their manager approves or denies; the person withdraws only while pending', async () => {
    const { worker, manager } = await team();
    const asked = await worker.agent.post('/api/time-off').send({ startsOn: '2031-05-04', endsOn: '2031-05-06', note: 'Wedding' }).expect(201);
    expect(TimeOff.parse(asked.body)).toEqual({
      id: expect.any(Number),
      userId: worker.id,
      userName: worker.name,
      startsOn: '2031-05-04',
      endsOn: '2031-05-06',
      status: 'pending',
      note: 'Wedding',
      decidedBy: null,
      decidedAt: null,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    const pending = await manager.agent.get('/api/time-off').query({ status: 'pending', userId: String(worker.id) }).expect(200);
    expect(pending.body.items.map((x: TimeOff) => x.id)).toEqual([asked.body.id]);
    expectProblem(await worker.agent.patch(`/api/time-off/${asked.body.id}`).send({ status: 'approved' }), 403, 'forbidden');
    const approved = await manager.agent.patch(`/api/time-off/${asked.body.id}`).send({ status: 'approved' }).expect(200);
    expect(approved.body).toMatchObject({ status: 'approved', decidedBy: manager.id, decidedAt: expect.any(String) });
    expectProblem(await worker.agent.delete(`/api/time-off/${asked.body.id}`), 403, 'forbidden');
    const second = await worker.agent.post('/api/time-off').send({ startsOn: '2031-06-01', endsOn: '2031-06-01' }).expect(201);
    await worker.agent.delete(`/api/time-off/${second.body.id}`).expect(204);
    expect((await worker.agent.get('/api/time-off').expect(200)).body.items.map((x: TimeOff) => x.id)).toEqual([asked.body.id]);
  });

  it('a manager enters time off for crew: approved at once; ranges filter by overlap', async () => {
    const { location, worker, manager } = await team();
    const entered = await manager.agent.post('/api/time-off').send({ userId: worker.id, startsOn: '2031-07-01', endsOn: '2031-07-14' }).expect(201);
    expect(entered.body).toMatchObject({ status: 'approved', decidedBy: manager.id });
    const list = (query: Record<string, string>) => manager.agent.get('/api/time-off').query({ locationId: String(location.id), ...query }).expect(200);
    expect((await list({ from: '2031-07-14' })).body.items).toHaveLength(1);
    expect((await list({ from: '2031-07-15' })).body.items).toHaveLength(0);
    expect((await list({ to: '2031-06-30' })).body.items).toHaveLength(0);
  });

  it.each([
    ['ending before it starts', { startsOn: '2031-05-10', endsOn: '2031-05-09' }, 'endsOn'],
    ['longer than 366 days', { startsOn: '2031-01-01', endsOn: '2032-01-02' }, 'endsOn'],
    ['a date that is not one', { startsOn: '2031-02-30', endsOn: '2031-03-01' }, 'startsOn'],
  ])('time off %s is a 400 naming the field, and nothing is stored', async (_label, body, path) => {
    const { worker } = await team();
    const problem = expectProblem(await worker.agent.post('/api/time-off').send(body), 400, 'validation_failed');
    expect(problem.errors?.map((e) => e.path)).toEqual([path]);
    expect((await worker.agent.get('/api/time-off').expect(200)).body.items).toEqual([]);
  });

  it('exactly 366 days is allowed', async () => {
    const { worker } = await team();
    await worker.agent.post('/api/time-off').send({ startsOn: '2031-01-01', endsOn: '2032-01-01' }).expect(201);
  });
});

describe('hourlyRate and maxWeeklyHours', () => {
  it('a manager sets them for their crew; the answer carries the rate as a two-decimal string', async () => {
    const { worker, manager } = await team();
    const res = await manager.agent.patch(`/api/users/${worker.id}`).send({ hourlyRate: 15.5, maxWeeklyHours: 37.5 }).expect(200);
    expect(User.parse(res.body)).toMatchObject({ hourlyRate: '15.50', maxWeeklyHours: 37.5 });
    expect((await worker.agent.get('/api/auth/me').expect(200)).body.user).toMatchObject({ hourlyRate: '15.50' });
    await manager.agent.patch(`/api/users/${worker.id}`).send({ hourlyRate: null, maxWeeklyHours: null }).expect(200);
    expect((await worker.agent.get(`/api/users/${worker.id}`).expect(200)).body).toMatchObject({ hourlyRate: null, maxWeeklyHours: null });
  });

  it('crew may not set their own', async () => {
    const { worker } = await team();
    expectProblem(await worker.agent.patch(`/api/users/${worker.id}`).send({ hourlyRate: '99.00' }), 403, 'forbidden');
  });

  it.each([
    ['a negative rate', { hourlyRate: '-1.00' }, 'hourlyRate'],
    ['a negative number', { hourlyRate: -3 }, 'hourlyRate'],
    ['a rate over 10,000 an hour', { hourlyRate: '10000.01' }, 'hourlyRate'],
    ['an absurd rate', { hourlyRate: 250000 }, 'hourlyRate'],
    ['three decimals', { hourlyRate: '15.555' }, 'hourlyRate'],
    ['a weekly limit of 0', { maxWeeklyHours: 0 }, 'maxWeeklyHours'],
    ['a weekly limit over 168', { maxWeeklyHours: 169 }, 'maxWeeklyHours'],
  ])('%s is a 400 naming the field, and nothing changes', async (_label, body, path) => {
    const { worker, manager } = await team();
    await manager.agent.patch(`/api/users/${worker.id}`).send({ hourlyRate: '12.00' }).expect(200);
    const problem = expectProblem(await manager.agent.patch(`/api/users/${worker.id}`).send(body), 400, 'validation_failed');
    expect(problem.errors?.map((e) => e.path)).toEqual([path]);
    expect((await manager.agent.get(`/api/users/${worker.id}`).expect(200)).body).toMatchObject({ hourlyRate: '12.00', maxWeeklyHours: null });
  });

  it('10,000 an hour is allowed', async () => {
    const { worker, manager } = await team();
    expect((await manager.agent.patch(`/api/users/${worker.id}`).send({ hourlyRate: '10000' }).expect(200)).body.hourlyRate).toBe('10000.00');
  });
});

/**
 * A window or a day off means local wall-clock time at the shift's location, whatever the UTC
 * offset that day. Each zone's week holds a DST change on its Sunday: 2031-03-30 in Amsterdam
 * (forward), 2031-03-09 in New York (forward), 2031-04-06 in Sydney (back). Sunday 08:00–12:00
 * is unavailable; a reading at the offset of the week's Monday would move the window by an hour
 * and turn one of the four shifts around its edges the wrong way.
 */
describe.each([
  ['Europe/Amsterdam', '2031-03-24'],
  ['America/New_York', '2031-03-03'],
  ['Australia/Sydney', '2031-03-31'],
])('across the DST change in %s (week of %s)', (zone, weekStart) => {
  const at = (day: number, time: string) => localTime(weekStart, day, time, zone);

  async function sundayWarnings() {
    const location = await s.location({ timezone: zone });
    const manager = await s.manager([location]);
    const people: Person[] = [];
    for (let i = 0; i < 6; i++) people.push(await s.crew([location]));
    const week = await s.schedule(location, { weekStart });
    return { manager, people, week };
  }

  it('an unavailable window keeps its local hours on the Sunday of the change', async () => {
    const { manager, people, week } = await sundayWarnings();
    const shifts: Array<[string, string, boolean]> = [
      ['07:00', '08:00', false],
      ['07:30', '08:30', true],
      ['11:30', '12:30', true],
      ['12:00', '13:00', false],
    ];
    const ids: number[] = [];
    for (const [i, [from, to]] of shifts.entries()) {
      await people[i]!.agent.put(`/api/users/${people[i]!.id}/availability`).send({ unavailable: [{ weekday: 7, from: '08:00', to: '12:00' }] }).expect(200);
      const res = await manager.agent.post(`/api/schedules/${week.id}/shifts`).send({ userId: people[i]!.id, position: 'Bar', startsAt: at(6, from), endsAt: at(6, to) }).expect(201);
      expect({ from, warned: res.body.warnings.includes('unavailable') }).toEqual({ from, warned: shifts[i]![2] });
      ids.push(res.body.id);
    }
    const items = Warnings.parse((await manager.agent.get(`/api/schedules/${week.id}/warnings`).expect(200)).body).items;
    expect(items.filter((w) => w.code === 'unavailable').map((w) => w.shiftId)).toEqual([ids[1], ids[2]]);
    expect(items.find((w) => w.code === 'unavailable')!.detail).toBe('Unavailable on Sundays from 08:00 to 12:00');
  });

  it('a day off is that local date: a Saturday shift ending at midnight is clear, a Sunday one is not', async () => {
    const { manager, people, week } = await sundayWarnings();
    const sunday = dateAfter(weekStart, 6);
    await manager.agent.post('/api/time-off').send({ userId: people[4]!.id, startsOn: sunday, endsOn: sunday }).expect(201);
    await manager.agent.post('/api/time-off').send({ userId: people[5]!.id, startsOn: sunday, endsOn: sunday }).expect(201);
    const saturday = await manager.agent.post(`/api/schedules/${week.id}/shifts`).send({ userId: people[4]!.id, position: 'Bar', startsAt: at(5, '18:00'), endsAt: at(6, '00:00') }).expect(201);
    const early = await manager.agent.post(`/api/schedules/${week.id}/shifts`).send({ userId: people[5]!.id, position: 'Bar', startsAt: at(6, '00:00'), endsAt: at(6, '04:00') }).expect(201);
    expect(saturday.body.warnings).toEqual([]);
    expect(early.body.warnings).toEqual(['time_off']);
  });
});

/** The date `days` after `weekStart`. */
function dateAfter(weekStart: string, days: number): string {
  return new Date(Date.parse(`${weekStart}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}
