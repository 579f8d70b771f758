import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eq, inArray } from 'drizzle-orm';
import { Notification, NotificationPage } from '../../shared/schemas/notifications.js';
import { ScheduleChanges } from '../../shared/schemas/publications.js';
import { notifications } from '../db/schema.js';
import { createShiftRequestsRepository } from '../shift-requests/shift-requests.repository.js';
import { createNotificationsRepository } from './notifications.repository.js';
import { createSweeper } from './notifications.sweep.js';
import { PASSWORD, createApiTestApp, expectProblem, localTime, scenario, type Person, type Scenario } from '../../test/support/api.js';
import { uniqueMonday } from '../../test/support/factories.js';
import { testLogger } from '../../test/support/logs.js';
import { listen, loginCookie, openEvents, type SseClient } from '../../test/support/sse.js';
import type { TestApp } from '../../test/support/test-app.js';

let t: TestApp;
let s: Scenario;
let venue: { id: number; name: string };
let other: { id: number };
let manager: Person;
let otherManager: Person;
let alex: Person;
let bo: Person;
let cleo: Person;
let outsider: Person;
let url: string;
let stop: () => Promise<void>;
const streams: SseClient[] = [];

beforeAll(async () => {
  t = await createApiTestApp('notifications');
  s = scenario(t);
  [venue, other] = await Promise.all([s.location({ name: 'Harbour Bar' }), s.location({ name: 'Uptown' })]);
  [manager, otherManager] = await Promise.all([s.manager([venue], { name: 'Mia Manager' }), s.manager([other])]);
  [alex, bo, cleo, outsider] = await Promise.all([s.crew([venue], { name: 'Alex A' }), s.crew([venue], { name: 'Bo B' }), s.crew([venue]), s.crew([other])]);
  const listening = await listen(t.app);
  url = listening.url;
  stop = listening.close;
  while (!t.deps.live.hub.accepting) await new Promise((r) => setTimeout(r, 20));
});
afterAll(async () => {
  for (const c of streams) c.close();
  await stop();
  await t.close();
});

const ids = (people: Person[]) => people.map((p) => p.id);
const unreadOf = async (p: Person) => NotificationPage.parse((await p.agent.get('/api/notifications').query({ unread: 'true' }).expect(200)).body);
async function countsOf(people: Person[]): Promise<number[]> {
  const rows = await s.db.select({ userId: notifications.userId }).from(notifications).where(inArray(notifications.userId, ids(people)));
  return people.map((p) => rows.filter((r) => r.userId === p.id).length);
}
async function stream(p: Person): Promise<SseClient> {
  const client = await openEvents(url, await loginCookie(t.app, p.email, PASSWORD));
  streams.push(client);
  return client;
}

/** A draft week at the venue with Alex on Tuesday, Bo on Wednesday, and an open shift on Thursday. */
async function draftWeek() {
  const weekStart = uniqueMonday();
  const schedule = await s.schedule(venue, { weekStart });
  const at = (day: number, time: string) => localTime(weekStart, day, time);
  const alexShift = await s.shift(schedule, { userId: alex.id, startsAt: at(1, '17:00'), endsAt: at(1, '23:00') });
  const boShift = await s.shift(schedule, { userId: bo.id, startsAt: at(2, '17:00'), endsAt: at(2, '23:00') });
  const open = await s.shift(schedule, { startsAt: at(3, '12:00'), endsAt: at(3, '16:00') });
  return { schedule, weekStart, at, alexShift, boShift, open };
}

const publish = (id: number) => manager.agent.patch(`/api/schedules/${id}`).send({ status: 'published' }).expect(200);
const unpublish = (id: number) => manager.agent.patch(`/api/schedules/${id}`).send({ status: 'draft' }).expect(200);

describe('publishing a week', () => {
  it('tells the crew with shifts that week, live on their own streams only; open shifts go to the location’s crew; the other location hears nothing', async () => {
    const { schedule, weekStart } = await draftWeek();
    const [alexStream, cleoStream, outsiderStream, managerStream] = await Promise.all([stream(alex), stream(cleo), stream(outsider), stream(manager)]);
    const people = [alex, bo, cleo, outsider, otherManager, manager];
    const before = await countsOf(people);
    await publish(schedule.id);

    const event = await alexStream.next((e) => e.event === 'notification');
    const note = Notification.parse(event.data);
    expect(note).toMatchObject({ kind: 'schedule_published', body: 'Harbour Bar: you have 1 shift that week.', link: '/my-shifts', readAt: null });
    expect(note.title).toMatch(/^Week of \d+ \w+ published$/);
    const open = await cleoStream.next((e) => e.event === 'notification');
    expect(open.data).toMatchObject({ kind: 'open_shift', link: `/schedules?location=${venue.id}&week=${weekStart}` });
    // Everyone at the venue sees the week itself change; the other location's crew member sees nothing at all.
    await managerStream.next((e) => e.event === 'schedule' && (e.data as { id: number }).id === schedule.id);
    await cleoStream.next((e) => e.event === 'schedule' && (e.data as { id: number }).id === schedule.id);
    expect(outsiderStream.events).toEqual([]);
    expect(managerStream.events.filter((e) => e.event === 'notification')).toEqual([]);
    expect(alexStream.events.filter((e) => e.event === 'notification')).toHaveLength(2);

    const after = await countsOf(people);
    // Alex: published + open shift. Bo likewise. Cleo: the open shift. Nobody else.
    expect(after.map((n, i) => n - before[i]!)).toEqual([2, 2, 1, 0, 0, 0]);
    const inbox = await unreadOf(alex);
    expect(inbox.items[1]).toEqual(note);
  });

  it('GET /api/schedules/:id/changes lists what changed since the last publish; publishing again tells only the people whose shifts changed', async () => {
    const { schedule, at, alexShift, boShift, open } = await draftWeek();
    const never = ScheduleChanges.parse((await manager.agent.get(`/api/schedules/${schedule.id}/changes`).expect(200)).body);
    expect(never).toMatchObject({ scheduleId: schedule.id, lastPublishedAt: null, removed: [], changed: [] });
    expect(never.added.map((x) => x.id).sort()).toEqual([alexShift.id, boShift.id, open.id].sort());
    await publish(schedule.id);
    expect(ScheduleChanges.parse((await manager.agent.get(`/api/schedules/${schedule.id}/changes`).expect(200)).body)).toMatchObject({
      lastPublishedAt: expect.any(String),
      added: [],
      removed: [],
      changed: [],
    });

    await unpublish(schedule.id);
    const people = [alex, bo, cleo, outsider];
    const before = await countsOf(people);
    // In the draft: Alex's shift moves an hour, the open shift goes to Cleo, a shift is added for nobody in particular.
    await manager.agent.patch(`/api/schedules/${schedule.id}/shifts/${alexShift.id}`).send({ startsAt: at(1, '18:00') }).expect(200);
    await manager.agent.patch(`/api/schedules/${schedule.id}/shifts/${open.id}`).send({ userId: cleo.id }).expect(200);
    const added = await manager.agent.post(`/api/schedules/${schedule.id}/shifts`).send({ position: 'Door', startsAt: at(4, '20:00'), endsAt: at(4, '23:00') }).expect(201);
    // Edits of a draft tell no one.
    expect(await countsOf(people)).toEqual(before);

    const diff = ScheduleChanges.parse((await manager.agent.get(`/api/schedules/${schedule.id}/changes`).expect(200)).body);
    expect(diff.added.map((x) => x.id)).toEqual([added.body.id]);
    expect(diff.removed).toEqual([]);
    expect(diff.changed.map((c) => [c.after.id, c.fields])).toEqual([
      [alexShift.id, ['startsAt']],
      [open.id, ['userId']],
    ]);
    expect(diff.changed[1]).toMatchObject({ before: { userId: null }, after: { userId: cleo.id, userName: cleo.name } });

    await publish(schedule.id);
    const after = await countsOf(people);
    // Alex and Cleo: "published again". Cleo and Alex and Bo: the new open shift (Door). Bo's own shift did not change.
    expect(after.map((n, i) => n - before[i]!)).toEqual([2, 1, 2, 0]);
    const boInbox = await s.db.select().from(notifications).where(eq(notifications.userId, bo.id)).orderBy(notifications.id);
    expect(boInbox.at(-1)).toMatchObject({ kind: 'open_shift' });
  });

  it('changes is for managers and admins: crew who see the week get a 403, the other location’s manager a 404', async () => {
    const { schedule } = await draftWeek();
    await publish(schedule.id);
    expectProblem(await alex.agent.get(`/api/schedules/${schedule.id}/changes`), 403, 'forbidden');
    expectProblem(await otherManager.agent.get(`/api/schedules/${schedule.id}/changes`), 404, 'not_found');
    expectProblem(await outsider.agent.get(`/api/schedules/${schedule.id}/changes`), 404, 'not_found');
  });
});

describe('changes to a published week', () => {
  it('tell only the people whose shifts changed: moved, given to someone else, removed, added', async () => {
    const { schedule, at, alexShift, boShift } = await draftWeek();
    await publish(schedule.id);
    const people = [alex, bo, cleo, outsider];
    let before = await countsOf(people);
    const delta = async () => {
      const now = await countsOf(people);
      const d = now.map((n, i) => n - before[i]!);
      before = now;
      return d;
    };
    await manager.agent.patch(`/api/schedules/${schedule.id}/shifts/${alexShift.id}`).send({ endsAt: at(1, '22:00') }).expect(200);
    expect(await delta()).toEqual([1, 0, 0, 0]);
    const alexLast = (await unreadOf(alex)).items[0]!;
    expect(alexLast).toMatchObject({ kind: 'shift_changed', title: 'Your shift changed' });
    expect(alexLast.body).toMatch(/17:00–22:00, Bartender at Harbour Bar \(was .*17:00–23:00, Bartender\)\.$/);

    await manager.agent.patch(`/api/schedules/${schedule.id}/shifts/${boShift.id}`).send({ userId: cleo.id }).expect(200);
    expect(await delta()).toEqual([0, 1, 1, 0]);
    await manager.agent.delete(`/api/schedules/${schedule.id}/shifts/${alexShift.id}`).expect(204);
    expect(await delta()).toEqual([1, 0, 0, 0]);
    await manager.agent.post(`/api/schedules/${schedule.id}/shifts`).send({ userId: bo.id, position: 'Bar', startsAt: at(5, '12:00'), endsAt: at(5, '18:00') }).expect(201);
    expect(await delta()).toEqual([0, 1, 0, 0]);
    // An open shift posted: the venue's crew hear of it, the other location's do not.
    await manager.agent.post(`/api/schedules/${schedule.id}/shifts`).send({ position: 'Bar', startsAt: at(6, '12:00'), endsAt: at(6, '18:00') }).expect(201);
    expect(await delta()).toEqual([1, 1, 1, 0]);
  });
});

describe('GET /api/notifications and POST /api/notifications/read', () => {
  it('lists one’s own, newest first, pages, filters unread, and marks read (others’ ids change nothing)', async () => {
    const person = await s.crew([venue]);
    const rows = await s.db
      .insert(notifications)
      .values([1, 2, 3].map((n) => ({ userId: person.id, kind: 'shift_changed', title: `Note ${n}`, body: 'Body', link: '/my-shifts' })))
      .returning();
    const [others] = await s.db.insert(notifications).values({ userId: alex.id, kind: 'shift_changed', title: 'Not yours', body: 'Body', link: '/my-shifts' }).returning();
    const page1 = NotificationPage.parse((await person.agent.get('/api/notifications').query({ limit: '2' }).expect(200)).body);
    expect(page1.items.map((n) => n.title)).toEqual(['Note 3', 'Note 2']);
    expect(page1.unreadCount).toBe(3);
    const page2 = NotificationPage.parse((await person.agent.get('/api/notifications').query({ limit: '2', cursor: page1.nextCursor! }).expect(200)).body);
    expect(page2).toMatchObject({ items: [{ title: 'Note 1' }], nextCursor: null });

    await person.agent.post('/api/notifications/read').send({ ids: [rows[0]!.id, others!.id] }).expect(204);
    const [still] = await s.db.select().from(notifications).where(eq(notifications.id, others!.id));
    expect(still!.readAt).toBeNull();
    const unread = NotificationPage.parse((await person.agent.get('/api/notifications').query({ unread: 'true' }).expect(200)).body);
    expect(unread.items.map((n) => n.title)).toEqual(['Note 3', 'Note 2']);
    expect(unread.unreadCount).toBe(2);
    const read = NotificationPage.parse((await person.agent.get('/api/notifications').query({ unread: 'false' }).expect(200)).body);
    expect(read.items).toEqual([expect.objectContaining({ title: 'Note 1', readAt: expect.any(String) })]);

    await person.agent.post('/api/notifications/read').send({}).expect(204);
    expect((await unreadOf(person)).unreadCount).toBe(0);
  });

  it('bad input is a 400 naming the field; without a session a 401', async () => {
    expectProblem(await alex.agent.post('/api/notifications/read').send({ ids: [] }), 400, 'validation_failed');
    expectProblem(await alex.agent.post('/api/notifications/read').send({ ids: ['x'] }), 400, 'validation_failed');
    expectProblem(await alex.agent.post('/api/notifications/read').send({ all: true }), 400, 'validation_failed');
    expectProblem(await alex.agent.get('/api/notifications').query({ unread: 'yes' }), 400, 'validation_failed');
    expectProblem(await alex.agent.get('/api/notifications').query({ cursor: 'not-ours' }), 400, 'validation_failed');
    expectProblem(await s.anonymous().get('/api/notifications'), 401, 'unauthenticated');
  });
});

describe('retention', () => {
  it('notifications older than 30 days are never listed, and the sweep removes them', async () => {
    const person = await s.crew([venue]);
    const old = new Date(Date.now() - 31 * 86_400_000);
    const [stale] = await s.db.insert(notifications).values({ userId: person.id, kind: 'shift_changed', title: 'Old', body: 'b', link: '/my-shifts', createdAt: old }).returning();
    const [fresh] = await s.db.insert(notifications).values({ userId: person.id, kind: 'shift_changed', title: 'New', body: 'b', link: '/my-shifts' }).returning();
    const listed = NotificationPage.parse((await person.agent.get('/api/notifications').expect(200)).body);
    expect(listed.items.map((n) => n.id)).toEqual([fresh!.id]);
    expect(listed.unreadCount).toBe(1);

    const sweeper = createSweeper({ notifications: createNotificationsRepository(s.db), settleRequests: () => createShiftRequestsRepository(s.db).settle() }, testLogger());
    expect(await sweeper.runOnce()).toBeGreaterThanOrEqual(1);
    const left = await s.db.select({ id: notifications.id }).from(notifications).where(inArray(notifications.id, [stale!.id, fresh!.id]));
    expect(left.map((r) => r.id)).toEqual([fresh!.id]);
  });

  it('several instances sweeping at once each finish, and together remove every old row exactly once', async () => {
    const person = await s.crew([venue]);
    const old = new Date(Date.now() - 40 * 86_400_000);
    await s.db.insert(notifications).values(Array.from({ length: 2500 }, (_, i) => ({ userId: person.id, kind: 'shift_changed', title: `Old ${i}`, body: 'b', link: '/my-shifts', createdAt: old })));
    const sweepers = [1, 2, 3].map(() => createSweeper({ notifications: createNotificationsRepository(s.db), settleRequests: async () => 0 }, testLogger()));
    const removed = await Promise.all(sweepers.map((w) => w.runOnce()));
    // Other suites' old rows may be swept too; this person's 2,500 are all gone, none twice.
    expect(removed.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(2500);
    expect(await s.db.select().from(notifications).where(eq(notifications.userId, person.id))).toEqual([]);
  });
});
