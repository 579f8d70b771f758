import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eq } from 'drizzle-orm';
import { Schedule } from '../../shared/schemas/schedules.js';
import { ShiftRequest } from '../../shared/schemas/shift-requests.js';
import { notifications, shiftRequests, shifts } from '../db/schema.js';
import { MISSING_ID, createApiTestApp, expectProblem, localTime, scenario, type Person, type Scenario } from '../../test/support/api.js';
import { uniqueMonday } from '../../test/support/factories.js';
import type { TestApp } from '../../test/support/test-app.js';

let t: TestApp;
let s: Scenario;
let venue: { id: number };
let other: { id: number };
let manager: Person;
let secondManager: Person;
let otherManager: Person;
let admin: Person;
let alex: Person;
let bo: Person;
let cleo: Person;
let outsider: Person;

beforeAll(async () => {
  t = await createApiTestApp('shift-requests');
  s = scenario(t);
  [venue, other] = await Promise.all([s.location({ name: 'Harbour Bar' }), s.location({ name: 'Uptown' })]);
  [manager, secondManager, otherManager, admin] = await Promise.all([s.manager([venue]), s.manager([venue]), s.manager([other]), s.admin()]);
  [alex, bo, cleo, outsider] = await Promise.all([s.crew([venue], { name: 'Alex A' }), s.crew([venue], { name: 'Bo B' }), s.crew([venue]), s.crew([other])]);
});
afterAll(() => t.close());

/** A published week at the venue with a shift of `person` on its Tuesday. */
async function publishedShift(person: Person | null = alex, options: { status?: 'draft' | 'published' } = {}) {
  const weekStart = uniqueMonday();
  const schedule = await s.schedule(venue, { weekStart, status: options.status ?? 'published' });
  const shift = await s.shift(schedule, { userId: person?.id ?? null, startsAt: localTime(weekStart, 1, '17:00'), endsAt: localTime(weekStart, 1, '23:00') });
  return { schedule, shift, weekStart };
}

// Oldest first: without an order Postgres returns rows as they lie, which an update or a sweep can change.
const inbox = async (person: Person) => (await s.db.select().from(notifications).where(eq(notifications.userId, person.id)).orderBy(notifications.id)).map((n) => ({ kind: n.kind, title: n.title, link: n.link }));
const countOf = async (person: Person) => (await s.db.select().from(notifications).where(eq(notifications.userId, person.id))).length;

async function swap(from = alex, to = bo) {
  const setup = await publishedShift(from);
  const res = await from.agent.post('/api/shift-requests').send({ shiftId: setup.shift.id, kind: 'swap', toUserId: to.id, note: 'Family dinner' }).expect(201);
  return { ...setup, request: ShiftRequest.parse(res.body) };
}

describe('a swap: asked, accepted, approved', () => {
  it('moves the shift to the colleague in one approval; everyone concerned hears of each step, and no one else', async () => {
    const before = await Promise.all([alex, bo, cleo, manager, secondManager, otherManager, outsider].map(countOf));
    const { schedule, shift, request } = await swap();
    expect(request).toMatchObject({ kind: 'swap', status: 'pending', shiftId: shift.id, requester: { id: alex.id, name: 'Alex A' }, toUser: { id: bo.id, name: 'Bo B' }, note: 'Family dinner', decidedBy: null });
    expect((await inbox(bo)).at(-1)).toMatchObject({ kind: 'shift_request', title: 'Alex A asks you to take a shift', link: '/my-shifts' });

    // Bo sees it among the requests they were asked; Cleo, at the same venue, does not.
    expect((await bo.agent.get('/api/shift-requests').expect(200)).body.items.map((r: ShiftRequest) => r.id)).toContain(request.id);
    expect((await cleo.agent.get('/api/shift-requests').expect(200)).body.items.map((r: ShiftRequest) => r.id)).not.toContain(request.id);
    await cleo.agent.get(`/api/shift-requests/${request.id}`).expect(404);

    // A manager cannot approve before the colleague said yes.
    expectProblem(await manager.agent.patch(`/api/shift-requests/${request.id}`).send({ action: 'approve' }), 409, 'request_decided');

    const accepted = await bo.agent.patch(`/api/shift-requests/${request.id}`).send({ action: 'accept' }).expect(200);
    expect(accepted.body.status).toBe('accepted');
    for (const m of [manager, secondManager]) {
      expect((await inbox(m)).at(-1)).toMatchObject({ kind: 'shift_request', title: 'Alex A and Bo B ask to swap a shift', link: `/planner?location=${venue.id}&week=${schedule.weekStart}` });
    }
    const pending = (await manager.agent.get('/api/shift-requests').query({ locationId: String(venue.id), status: 'accepted' }).expect(200)).body.items;
    expect(pending.map((r: ShiftRequest) => r.id)).toContain(request.id);

    const approved = await manager.agent.patch(`/api/shift-requests/${request.id}`).send({ action: 'approve' }).expect(200);
    expect(approved.body).toMatchObject({ status: 'approved', decidedBy: { id: manager.id }, decidedAt: expect.any(String) });
    const week = Schedule.parse((await bo.agent.get(`/api/schedules/${schedule.id}`).expect(200)).body);
    expect(week.shifts.find((x) => x.id === shift.id)).toMatchObject({ userId: bo.id, userName: 'Bo B', version: 2 });
    expect(week.version).toBe(2);
    expect((await inbox(alex)).at(-1)?.title).toMatch(/approved a shift request$/);
    expect((await inbox(bo)).at(-1)).toMatchObject({ kind: 'shift_changed', title: 'A shift is now yours' });

    const after = await Promise.all([alex, bo, cleo, manager, secondManager, otherManager, outsider].map(countOf));
    // Alex: approved. Bo: asked, then the shift. Each manager: the accepted swap. Cleo, the other location: nothing.
    expect(after.map((n, i) => n - before[i]!)).toEqual([1, 2, 0, 1, 1, 0, 0]);
  });

  it('of two managers approving at once, exactly one wins; the other gets 409 request_decided', async () => {
    const { request, shift } = await swap();
    await bo.agent.patch(`/api/shift-requests/${request.id}`).send({ action: 'accept' }).expect(200);
    const results = await Promise.all([manager, secondManager, admin].map((m) => m.agent.patch(`/api/shift-requests/${request.id}`).send({ action: 'approve' })));
    expect(results.map((r) => r.status).sort()).toEqual([200, 409, 409]);
    for (const lost of results.filter((r) => r.status !== 200)) expectProblem(lost, 409, 'request_decided');
    const [row] = await s.db.select().from(shifts).where(eq(shifts.id, shift.id));
    // One reassignment, one version bump.
    expect(row).toMatchObject({ userId: bo.id, version: 2 });
  });

  it('an approval and a denial at once: one of them decides, the other is refused', async () => {
    const { request, shift } = await swap();
    await bo.agent.patch(`/api/shift-requests/${request.id}`).send({ action: 'accept' }).expect(200);
    const [approve, deny] = await Promise.all([
      manager.agent.patch(`/api/shift-requests/${request.id}`).send({ action: 'approve' }),
      secondManager.agent.patch(`/api/shift-requests/${request.id}`).send({ action: 'deny' }),
    ]);
    expect([approve.status, deny.status].sort()).toEqual([200, 409]);
    const [row] = await s.db.select().from(shifts).where(eq(shifts.id, shift.id));
    expect(row!.userId).toBe(approve.status === 200 ? bo.id : alex.id);
  });

  it('a colleague who became busy meanwhile: approval is a 409 shift_overlap naming the shift in the way, and nothing changes', async () => {
    const { request, shift, schedule, weekStart } = await swap();
    await bo.agent.patch(`/api/shift-requests/${request.id}`).send({ action: 'accept' }).expect(200);
    const busy = await manager.agent
      .post(`/api/schedules/${schedule.id}/shifts`)
      .send({ userId: bo.id, position: 'Door', startsAt: localTime(weekStart, 1, '20:00'), endsAt: localTime(weekStart, 1, '23:30') })
      .expect(201);
    const refused = expectProblem(await manager.agent.patch(`/api/shift-requests/${request.id}`).send({ action: 'approve' }), 409, 'shift_overlap');
    expect(refused.conflicts).toEqual([busy.body.id]);
    const [row] = await s.db.select().from(shifts).where(eq(shifts.id, shift.id));
    expect(row!.userId).toBe(alex.id);
    expect((await manager.agent.get(`/api/shift-requests/${request.id}`).expect(200)).body.status).toBe('accepted');
    // The manager can still deny it.
    expect((await manager.agent.patch(`/api/shift-requests/${request.id}`).send({ action: 'deny' }).expect(200)).body.status).toBe('denied');
  });

  it('a colleague who is busy then cannot be asked, nor accept: 409 shift_overlap', async () => {
    const { shift, schedule, weekStart } = await publishedShift(alex);
    const clash = await s.shift(schedule, { userId: cleo.id, startsAt: localTime(weekStart, 1, '16:00'), endsAt: localTime(weekStart, 1, '18:00') });
    const res = expectProblem(await alex.agent.post('/api/shift-requests').send({ shiftId: shift.id, kind: 'swap', toUserId: cleo.id }), 409, 'shift_overlap');
    expect(res.conflicts).toEqual([clash.id]);
  });

  it('the colleague declines, or the requester cancels: the other is told, and the request takes no further answer', async () => {
    const declined = await swap();
    const d = await bo.agent.patch(`/api/shift-requests/${declined.request.id}`).send({ action: 'decline' }).expect(200);
    expect(d.body).toMatchObject({ status: 'declined', decidedBy: { id: bo.id } });
    expect((await inbox(alex)).at(-1)?.title).toBe('Bo B declined a shift request');
    expectProblem(await bo.agent.patch(`/api/shift-requests/${declined.request.id}`).send({ action: 'accept' }), 409, 'request_decided');

    const cancelled = await swap();
    expect((await alex.agent.patch(`/api/shift-requests/${cancelled.request.id}`).send({ action: 'cancel' }).expect(200)).body.status).toBe('cancelled');
    expect((await inbox(bo)).at(-1)?.title).toBe('Alex A withdrew a shift request');
    expectProblem(await bo.agent.patch(`/api/shift-requests/${cancelled.request.id}`).send({ action: 'accept' }), 409, 'request_decided');
    // A new request on the same shift is fine once the first is decided.
    await alex.agent.post('/api/shift-requests').send({ shiftId: cancelled.shift.id, kind: 'drop' }).expect(201);
  });
});

describe('a drop', () => {
  it('asks the managers; approved, the shift becomes open and the location’s crew hear of it (not the other location’s)', async () => {
    const before = await Promise.all([alex, bo, cleo, outsider, otherManager].map(countOf));
    const { shift, schedule } = await publishedShift(alex);
    const made = await alex.agent.post('/api/shift-requests').send({ shiftId: shift.id, kind: 'drop' }).expect(201);
    expect(made.body).toMatchObject({ kind: 'drop', status: 'pending', toUser: null });
    expect((await inbox(manager)).at(-1)?.title).toBe('Alex A asks to drop a shift');
    await manager.agent.patch(`/api/shift-requests/${made.body.id}`).send({ action: 'approve' }).expect(200);
    const week = Schedule.parse((await cleo.agent.get(`/api/schedules/${schedule.id}`).expect(200)).body);
    expect(week.shifts.find((x) => x.id === shift.id)).toMatchObject({ userId: null, userName: null });
    expect((await inbox(cleo)).at(-1)).toMatchObject({ kind: 'open_shift', link: `/schedules?location=${venue.id}&week=${schedule.weekStart}` });
    const after = await Promise.all([alex, bo, cleo, outsider, otherManager].map(countOf));
    expect(after.map((n, i) => n - before[i]!)).toEqual([1, 1, 1, 0, 0]);
  });

  it('a second request on a shift with one undecided is a 409 request_exists naming it; of two at once, one is made', async () => {
    const { shift } = await publishedShift(alex);
    const results = await Promise.all([
      alex.agent.post('/api/shift-requests').send({ shiftId: shift.id, kind: 'drop' }),
      alex.agent.post('/api/shift-requests').send({ shiftId: shift.id, kind: 'swap', toUserId: bo.id }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([201, 409]);
    const lost = results.find((r) => r.status === 409)!;
    const made = results.find((r) => r.status === 201)!;
    expect(expectProblem(lost, 409, 'request_exists').conflicts).toEqual([made.body.id]);
  });
});

describe('expiry: requests end when the shift starts', () => {
  async function startedShift() {
    // This week, with a shift that started an hour ago (rows written directly: the API refuses them).
    const weekStart = uniqueMonday();
    const schedule = await s.schedule(venue, { weekStart, status: 'published' });
    const start = new Date(Date.now() - 3_600_000);
    const person = await s.crew([venue]);
    const shift = await s.shift(schedule, { userId: person.id, startsAt: start, endsAt: new Date(start.getTime() + 4 * 3_600_000) });
    return { schedule, shift, person };
  }

  it('a request on a shift that has started is a 422 naming shiftId', async () => {
    const { shift, person } = await startedShift();
    const res = expectProblem(await person.agent.post('/api/shift-requests').send({ shiftId: shift.id, kind: 'drop' }), 422, 'unprocessable');
    expect(res.errors).toEqual([{ path: 'shiftId', message: 'has already started' }]);
  });

  it('an undecided request whose shift started reads as expired, answers 409 request_expired, and the sweep stores it so', async () => {
    const { shift, person } = await startedShift();
    const [row] = await s.db.insert(shiftRequests).values({ shiftId: shift.id, kind: 'swap', requesterId: person.id, toUserId: bo.id, status: 'accepted' }).returning();
    const read = await manager.agent.get(`/api/shift-requests/${row!.id}`).expect(200);
    expect(read.body.status).toBe('expired');
    expect((await manager.agent.get('/api/shift-requests').query({ status: 'expired', locationId: String(venue.id) }).expect(200)).body.items.map((r: ShiftRequest) => r.id)).toContain(row!.id);
    expectProblem(await manager.agent.patch(`/api/shift-requests/${row!.id}`).send({ action: 'approve' }), 409, 'request_expired');
    expectProblem(await person.agent.patch(`/api/shift-requests/${row!.id}`).send({ action: 'cancel' }), 409, 'request_expired');
    const [unchanged] = await s.db.select().from(shifts).where(eq(shifts.id, shift.id));
    expect(unchanged!.userId).toBe(person.id);
    const { createShiftRequestsRepository } = await import('./shift-requests.repository.js');
    expect(await createShiftRequestsRepository(s.db).settle()).toBeGreaterThanOrEqual(1);
    const [stored] = await s.db.select().from(shiftRequests).where(eq(shiftRequests.id, row!.id));
    expect(stored!.status).toBe('expired');
  });

  it('a shift a manager gives to someone else withdraws its undecided request, and the new person may ask anew', async () => {
    const { shift, schedule } = await publishedShift(alex);
    const made = await alex.agent.post('/api/shift-requests').send({ shiftId: shift.id, kind: 'drop' }).expect(201);
    await manager.agent.patch(`/api/schedules/${schedule.id}/shifts/${shift.id}`).send({ userId: cleo.id }).expect(200);
    expect((await alex.agent.get(`/api/shift-requests/${made.body.id}`).expect(200)).body.status).toBe('cancelled');
    expectProblem(await manager.agent.patch(`/api/shift-requests/${made.body.id}`).send({ action: 'approve' }), 409, 'request_decided');
    await cleo.agent.post('/api/shift-requests').send({ shiftId: shift.id, kind: 'drop' }).expect(201);
  });
});

describe('bad input and access', () => {
  it('someone else’s shift is a 403; one the caller cannot see a 404', async () => {
    const { shift } = await publishedShift(alex);
    expectProblem(await bo.agent.post('/api/shift-requests').send({ shiftId: shift.id, kind: 'drop' }), 403, 'forbidden');
    expectProblem(await manager.agent.post('/api/shift-requests').send({ shiftId: shift.id, kind: 'drop' }), 403, 'forbidden');
    expectProblem(await outsider.agent.post('/api/shift-requests').send({ shiftId: shift.id, kind: 'drop' }), 404, 'not_found');
    const draft = await publishedShift(alex, { status: 'draft' });
    expectProblem(await alex.agent.post('/api/shift-requests').send({ shiftId: draft.shift.id, kind: 'drop' }), 404, 'not_found');
    expectProblem(await alex.agent.post('/api/shift-requests').send({ shiftId: MISSING_ID, kind: 'drop' }), 404, 'not_found');
  });

  it('an open shift, oneself, or a person outside the location is a 422 naming the field', async () => {
    const open = await publishedShift(null);
    const a = expectProblem(await alex.agent.post('/api/shift-requests').send({ shiftId: open.shift.id, kind: 'drop' }), 422, 'unprocessable');
    expect(a.errors).toEqual([{ path: 'shiftId', message: 'is an open shift' }]);
    const { shift } = await publishedShift(alex);
    const b = expectProblem(await alex.agent.post('/api/shift-requests').send({ shiftId: shift.id, kind: 'swap', toUserId: alex.id }), 422, 'unprocessable');
    expect(b.errors).toEqual([{ path: 'toUserId', message: 'is you' }]);
    for (const stranger of [outsider.id, otherManager.id, MISSING_ID]) {
      const c = expectProblem(await alex.agent.post('/api/shift-requests').send({ shiftId: shift.id, kind: 'swap', toUserId: stranger }), 422, 'unprocessable');
      expect(c.errors).toEqual([{ path: 'toUserId', message: 'does not work at this location' }]);
    }
    const inactive = await s.crew([venue], { active: false });
    expectProblem(await alex.agent.post('/api/shift-requests').send({ shiftId: shift.id, kind: 'swap', toUserId: inactive.id }), 422, 'unprocessable');
    expect(await s.db.select().from(shiftRequests).where(eq(shiftRequests.shiftId, shift.id))).toEqual([]);
  });

  it('a swap without a colleague, a drop with one, an unknown kind or action is a 400 naming the field', async () => {
    const { shift } = await publishedShift(alex);
    const cases: Array<[object, string]> = [
      [{ shiftId: shift.id, kind: 'swap' }, 'toUserId'],
      [{ shiftId: shift.id, kind: 'drop', toUserId: bo.id }, 'toUserId'],
      [{ shiftId: shift.id, kind: 'trade' }, 'kind'],
      [{ shiftId: 'x', kind: 'drop' }, 'shiftId'],
      [{ shiftId: shift.id, kind: 'drop', note: 'x'.repeat(501) }, 'note'],
    ];
    for (const [body, path] of cases) {
      const res = expectProblem(await alex.agent.post('/api/shift-requests').send(body), 400, 'validation_failed');
      expect(res.errors?.map((e) => e.path)).toContain(path);
    }
    const made = await alex.agent.post('/api/shift-requests').send({ shiftId: shift.id, kind: 'drop' }).expect(201);
    expectProblem(await manager.agent.patch(`/api/shift-requests/${made.body.id}`).send({ action: 'steal' }), 400, 'validation_failed');
  });

  it('each action is for its own person: others get a 403, those who cannot see the request a 404', async () => {
    const { request } = await swap();
    const as = (p: Person, action: string) => p.agent.patch(`/api/shift-requests/${request.id}`).send({ action });
    expectProblem(await as(alex, 'accept'), 403, 'forbidden');
    expectProblem(await manager.agent.patch(`/api/shift-requests/${request.id}`).send({ action: 'accept' }), 403, 'forbidden');
    expectProblem(await as(bo, 'approve'), 403, 'forbidden');
    expectProblem(await as(alex, 'deny'), 403, 'forbidden');
    expectProblem(await as(bo, 'cancel'), 403, 'forbidden');
    expectProblem(await as(cleo, 'accept'), 404, 'not_found');
    expectProblem(await as(otherManager, 'deny'), 404, 'not_found');
    expect((await manager.agent.get(`/api/shift-requests/${request.id}`).expect(200)).body.status).toBe('pending');
  });

  it('lists: crew see theirs, a manager their locations’, another location’s manager none of them', async () => {
    const { request } = await swap();
    const ids = async (p: Person) => (await p.agent.get('/api/shift-requests').query({ limit: '200' }).expect(200)).body.items.map((r: ShiftRequest) => r.id);
    expect(await ids(alex)).toContain(request.id);
    expect(await ids(manager)).toContain(request.id);
    expect(await ids(admin)).toContain(request.id);
    expect(await ids(otherManager)).not.toContain(request.id);
    expect(await ids(outsider)).not.toContain(request.id);
    // Pages, newest first.
    const first = await manager.agent.get('/api/shift-requests').query({ limit: '1' }).expect(200);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await manager.agent.get('/api/shift-requests').query({ limit: '1', cursor: first.body.nextCursor }).expect(200);
    expect(second.body.items[0].id).toBeLessThan(first.body.items[0].id);
    expectProblem(await manager.agent.get('/api/shift-requests').query({ status: 'maybe' }), 400, 'validation_failed');
  });
});
