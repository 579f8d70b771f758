import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eq } from 'drizzle-orm';
import { Schedule, Shift } from '../../shared/schemas/schedules.js';
import { schedules, shifts } from '../db/schema.js';
import { createApiTestApp, expectProblem, savedShift, localTime, scenario, type Person, type Scenario } from '../../test/support/api.js';
import { uniqueMonday } from '../../test/support/factories.js';
import type { TestApp } from '../../test/support/test-app.js';

/**
 * Versions and If-Match (API.md, Conventions and Resources): a writer who loaded an old version
 * gets a 412 that says what the target is now and who changed it, and nothing changes; of
 * several writers holding one version exactly one wins.
 */

let t: TestApp;
let s: Scenario;
let venue: { id: number };
let manager: Person;
let femke: Person;
let crew: Person;

beforeAll(async () => {
  t = await createApiTestApp('preconditions');
  s = scenario(t);
  venue = await s.location({ name: 'Precondition Bar' });
  [manager, femke] = await Promise.all([s.manager([venue]), s.manager([venue], { name: 'Femke' })]);
  crew = await s.crew([venue]);
});
afterAll(() => t.close());

async function week(status: 'draft' | 'published' = 'draft') {
  const weekStart = uniqueMonday();
  const schedule = await s.schedule(venue, { weekStart, status });
  return { schedule, at: (day: number, time: string) => localTime(weekStart, day, time) };
}

/** A week with one shift, added through the API by `by`. */
async function weekWithShift(by: Person = manager, status: 'draft' | 'published' = 'draft') {
  const { schedule, at } = await week(status);
  const res = await by.agent
    .post(`/api/schedules/${schedule.id}/shifts`)
    .send({ userId: crew.id, position: 'Bar', startsAt: at(1, '18:00'), endsAt: at(1, '23:00') })
    .expect(201);
  return { schedule, at, shift: savedShift(res.body) };
}

const shiftPath = (scheduleId: number, shiftId: number) => `/api/schedules/${scheduleId}/shifts/${shiftId}`;
const storedShift = async (id: number) => (await s.db.select().from(shifts).where(eq(shifts.id, id)))[0];
const storedSchedule = async (id: number) => (await s.db.select().from(schedules).where(eq(schedules.id, id)))[0]!;
const read = async (id: number) => Schedule.parse((await manager.agent.get(`/api/schedules/${id}`).expect(200)).body);

describe('versions', () => {
  it('a shift starts at 1 and goes up by one with each change and claim; its week goes up with every shift change and with publishing', async () => {
    const { schedule, at, shift } = await weekWithShift();
    expect(shift.version).toBe(1);
    expect((await read(schedule.id)).version).toBe(2);

    const changed = await manager.agent.patch(shiftPath(schedule.id, shift.id)).send({ notes: 'Keys at the bar' }).expect(200);
    expect(changed.body.version).toBe(2);
    expect((await read(schedule.id)).version).toBe(3);

    const open = await manager.agent.post(`/api/schedules/${schedule.id}/shifts`).send({ position: 'Door', startsAt: at(2, '20:00'), endsAt: at(3, '02:00') }).expect(201);
    expect((await read(schedule.id)).version).toBe(4);
    await manager.agent.patch(`/api/schedules/${schedule.id}`).send({ status: 'published' }).expect(200);
    expect((await read(schedule.id)).version).toBe(5);

    const claimed = await crew.agent.post(`${shiftPath(schedule.id, open.body.id)}/claim`).expect(200);
    expect(claimed.body.version).toBe(2);
    expect((await read(schedule.id)).version).toBe(6);

    await manager.agent.patch(`/api/schedules/${schedule.id}`).send({ status: 'draft' }).expect(200);
    await manager.agent.delete(shiftPath(schedule.id, shift.id)).expect(204);
    const final = await read(schedule.id);
    expect(final.version).toBe(8);
    expect(final.shifts.map((x) => [x.id, x.version])).toEqual([[open.body.id, 2]]);
    expect((await storedSchedule(schedule.id)).version).toBe(8);
  });

  it('list summaries carry the version too', async () => {
    const { schedule } = await weekWithShift();
    const page = (await manager.agent.get(`/api/schedules?locationId=${venue.id}&from=${schedule.weekStart}&to=${schedule.weekStart}`).expect(200)).body;
    expect(page.items).toEqual([expect.objectContaining({ id: schedule.id, version: 2, shiftCount: 1 })]);
  });
});

describe('If-Match on PATCH and DELETE of a shift', () => {
  it('the current version: the change goes through', async () => {
    const { schedule, shift } = await weekWithShift();
    const res = await manager.agent.patch(shiftPath(schedule.id, shift.id)).set('If-Match', '"1"').send({ position: 'Bartender' }).expect(200);
    expect(res.body).toMatchObject({ position: 'Bartender', version: 2 });
  });

  it('a stale version: 412 version_mismatch with the shift as it is now and who changed it, and nothing changes', async () => {
    const { schedule, shift } = await weekWithShift();
    const femkes = await femke.agent.patch(shiftPath(schedule.id, shift.id)).set('If-Match', '"1"').send({ position: 'Bartender', notes: 'Cocktails' }).expect(200);
    const weekBefore = await storedSchedule(schedule.id);

    const res = await manager.agent.patch(shiftPath(schedule.id, shift.id)).set('If-Match', '"1"').send({ endsAt: localEnd(shift) });
    const problem = expectProblem(res, 412, 'version_mismatch');
    expect(Shift.parse(problem.current)).toEqual(savedShift(femkes.body));
    expect(problem.changedBy).toEqual({ id: femke.id, name: 'Femke' });
    expect(await storedShift(shift.id)).toMatchObject({ version: 2, position: 'Bartender', notes: 'Cocktails', endsAt: new Date(shift.endsAt) });
    expect(await storedSchedule(schedule.id)).toEqual(weekBefore);
    expect((await read(schedule.id)).shifts).toEqual([savedShift(femkes.body)]);
  });

  it('a stale DELETE: 412, and the shift stays', async () => {
    const { schedule, shift } = await weekWithShift();
    await femke.agent.patch(shiftPath(schedule.id, shift.id)).send({ notes: 'Moved' }).expect(200);
    const problem = expectProblem(await manager.agent.delete(shiftPath(schedule.id, shift.id)).set('If-Match', '"1"'), 412, 'version_mismatch');
    expect(problem.current).toMatchObject({ id: shift.id, version: 2, notes: 'Moved' });
    expect(await storedShift(shift.id)).toMatchObject({ version: 2 });
  });

  it('a shift deleted since it was loaded: 412 with current null (it is gone); without If-Match, a 404', async () => {
    const { schedule, shift } = await weekWithShift();
    await femke.agent.delete(shiftPath(schedule.id, shift.id)).set('If-Match', '"1"').expect(204);
    const problem = expectProblem(await manager.agent.patch(shiftPath(schedule.id, shift.id)).set('If-Match', '"1"').send({ notes: 'x' }), 412, 'version_mismatch');
    expect(problem.current).toBeNull();
    expect(problem.changedBy).toBeNull();
    expectProblem(await manager.agent.patch(shiftPath(schedule.id, shift.id)).send({ notes: 'x' }), 404, 'not_found');
  });

  it('without If-Match the write goes ahead (the app of today sends none); it merges with the stored row, so another writer’s field survives', async () => {
    const { schedule, shift } = await weekWithShift();
    await femke.agent.patch(shiftPath(schedule.id, shift.id)).send({ position: 'Bartender', notes: 'Cocktails' }).expect(200);
    const res = await manager.agent.patch(shiftPath(schedule.id, shift.id)).send({ endsAt: localEnd(shift) }).expect(200);
    expect(res.body).toMatchObject({ position: 'Bartender', notes: 'Cocktails', endsAt: localEnd(shift), version: 3 });
  });

  it('`*` and a list of versions are understood: `*` sets no version, a list matches any of its versions', async () => {
    const { schedule, shift } = await weekWithShift();
    await manager.agent.patch(shiftPath(schedule.id, shift.id)).set('If-Match', '*').send({ notes: 'a' }).expect(200);
    await manager.agent.patch(shiftPath(schedule.id, shift.id)).set('If-Match', '"1", "2"').send({ notes: 'b' }).expect(200);
    expectProblem(await manager.agent.patch(shiftPath(schedule.id, shift.id)).set('If-Match', '"1", "2"').send({ notes: 'c' }), 412, 'version_mismatch');
    expect(await storedShift(shift.id)).toMatchObject({ notes: 'b', version: 3 });
  });

  it.each([
    ['unquoted', '1'],
    ['weak', 'W/"1"'],
    ['not a number', '"one"'],
    ['zero', '"0"'],
    ['beyond 32 bits', '"2147483648"'],
    ['empty', '""'],
    ['a list with a bad member', '"1", 2'],
    ['a star in a list', '*, "1"'],
  ])('a malformed If-Match (%s) is a 400 naming the header, and nothing changes', async (_what, header) => {
    const { schedule, shift } = await weekWithShift();
    const problem = expectProblem(await manager.agent.patch(shiftPath(schedule.id, shift.id)).set('If-Match', header).send({ notes: 'x' }), 400, 'validation_failed');
    expect(problem.errors).toEqual([{ path: 'If-Match', message: expect.any(String) }]);
    expectProblem(await manager.agent.delete(shiftPath(schedule.id, shift.id)).set('If-Match', header), 400, 'validation_failed');
    expect(await storedShift(shift.id)).toMatchObject({ notes: null, version: 1 });
  });

  it('access comes before the precondition: a crew member with a stale version still gets the 404 of a draft they may not see', async () => {
    const { schedule, shift } = await weekWithShift();
    expectProblem(await crew.agent.patch(shiftPath(schedule.id, shift.id)).set('If-Match', '"9"').send({ notes: 'x' }), 404, 'not_found');
  });
});

describe('If-Match on PATCH and DELETE of a schedule', () => {
  it('a stale publish: 412 with the week as it is now (shifts included) and who changed it last, and nothing changes', async () => {
    const { schedule, shift } = await weekWithShift(femke);
    const res = await manager.agent.patch(`/api/schedules/${schedule.id}`).set('If-Match', '"1"').send({ status: 'published' });
    const problem = expectProblem(res, 412, 'version_mismatch');
    const current = Schedule.parse(problem.current);
    expect(current).toMatchObject({ id: schedule.id, status: 'draft', version: 2 });
    expect(current.shifts).toEqual([shift]);
    expect(problem.changedBy).toEqual({ id: femke.id, name: 'Femke' });
    expect(await storedSchedule(schedule.id)).toMatchObject({ status: 'draft', version: 2, publishedAt: null });
  });

  it('the current version publishes; a stale DELETE is a 412 and the week stays', async () => {
    const { schedule } = await weekWithShift();
    await manager.agent.patch(`/api/schedules/${schedule.id}`).set('If-Match', '"2"').send({ status: 'published' }).expect(200);
    await manager.agent.patch(`/api/schedules/${schedule.id}`).set('If-Match', '"3"').send({ status: 'draft' }).expect(200);
    expectProblem(await manager.agent.delete(`/api/schedules/${schedule.id}`).set('If-Match', '"3"'), 412, 'version_mismatch');
    expect(await storedSchedule(schedule.id)).toMatchObject({ version: 4 });
    await manager.agent.delete(`/api/schedules/${schedule.id}`).set('If-Match', '"4"').expect(204);
  });

  it('a week written outside the API has no known editor: changedBy is null', async () => {
    const { schedule } = await week();
    const problem = expectProblem(await manager.agent.patch(`/api/schedules/${schedule.id}`).set('If-Match', '"7"').send({ status: 'published' }), 412, 'version_mismatch');
    expect(problem.changedBy).toBeNull();
  });
});

describe('of N writers holding the same version, exactly one wins', () => {
  const N = 6;
  let writers: Person[];
  beforeAll(async () => {
    writers = await Promise.all(Array.from({ length: N }, (_, i) => s.manager([venue], { name: `Writer ${i}` })));
  });

  /** Splits answers into the one success and the 412s, and checks every loser was told who won. */
  function settle(results: Array<{ status: number; body: { changedBy?: unknown } }>, success: number) {
    const winners = results.map((r, i) => [r, i] as const).filter(([r]) => r.status === success);
    expect(winners).toHaveLength(1);
    const losers = results.filter((r) => r.status !== success);
    for (const loser of losers) expect(loser.status).toBe(412);
    return { winner: winners[0]![1], losers };
  }

  it('shift PATCH: one 200, the rest 412 naming the winner, and the stored row is the winner’s', async () => {
    const { schedule, shift } = await weekWithShift();
    const results = await Promise.all(
      writers.map((w, i) => w.agent.patch(shiftPath(schedule.id, shift.id)).set('If-Match', '"1"').send({ position: `Position ${i}`, notes: `By writer ${i}` })),
    );
    const { winner, losers } = settle(results, 200);
    for (const loser of losers) {
      expect(loser.body).toMatchObject({ code: 'version_mismatch', current: { position: `Position ${winner}`, version: 2 }, changedBy: { id: writers[winner]!.id } });
    }
    expect(await storedShift(shift.id)).toMatchObject({ position: `Position ${winner}`, notes: `By writer ${winner}`, version: 2, updatedBy: writers[winner]!.id });
    expect((await storedSchedule(schedule.id)).version).toBe(3);
    expect((await read(schedule.id)).shifts).toEqual([savedShift(results[winner]!.body)]);
  });

  it('shift DELETE: one 204, the rest 412, and the shift is gone once', async () => {
    const { schedule, shift } = await weekWithShift();
    const results = await Promise.all(writers.map((w) => w.agent.delete(shiftPath(schedule.id, shift.id)).set('If-Match', '"1"')));
    settle(results, 204);
    expect(await storedShift(shift.id)).toBeUndefined();
    expect((await storedSchedule(schedule.id)).version).toBe(3);
    expect((await read(schedule.id)).shifts).toEqual([]);
  });

  it('schedule PATCH: one 200, the rest 412 naming the winner, and the stored week is the winner’s', async () => {
    const { schedule } = await weekWithShift();
    const results = await Promise.all(writers.map((w) => w.agent.patch(`/api/schedules/${schedule.id}`).set('If-Match', '"2"').send({ status: 'published' })));
    const { winner, losers } = settle(results, 200);
    for (const loser of losers) {
      expect(loser.body).toMatchObject({ current: { status: 'published', version: 3 }, changedBy: { id: writers[winner]!.id, name: `Writer ${winner}` } });
    }
    expect(await storedSchedule(schedule.id)).toMatchObject({ status: 'published', version: 3, updatedBy: writers[winner]!.id });
    expect(await read(schedule.id)).toEqual(results[winner]!.body);
  });
});

describe('a rename', () => {
  it('changes the name every cached week shows, not any version', async () => {
    const person = await s.crew([venue]);
    const { schedule, at } = await week();
    const shift = savedShift(
      (await manager.agent.post(`/api/schedules/${schedule.id}/shifts`).send({ userId: person.id, position: 'Bar', startsAt: at(4, '12:00'), endsAt: at(4, '18:00') }).expect(201)).body,
    );
    const before = await read(schedule.id);
    await manager.agent.patch(`/api/users/${person.id}`).send({ name: 'Crew Renamed' }).expect(200);
    const after = await read(schedule.id);
    expect(after.shifts).toEqual([{ ...shift, userName: 'Crew Renamed' }]);
    expect(after.version).toBe(before.version);
    expect(after.shifts[0]!.version).toBe(shift.version);
  });
});

/** An end time one hour later than the shift's. */
function localEnd(shift: Shift): string {
  return new Date(Date.parse(shift.endsAt) + 3_600_000).toISOString();
}
