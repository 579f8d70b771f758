import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { createApiTestApp } from '../../test/support/api.js';
import { ACCOUNT_PASSWORD, makeAccount, type Account } from '../../test/support/accounts.js';
import { insertLocation, uniqueMonday } from '../../test/support/factories.js';
import { listen, loginCookie, openEvents, type SseClient } from '../../test/support/sse.js';
import type { TestApp } from '../../test/support/test-app.js';
import { eventId } from './live.keys.js';
import type { LiveChange, ScheduleRef, ScheduleStatus } from './live.types.js';

/**
 * Two instances of the app in this process, sharing Postgres and one Redis prefix (so one channel
 * and one set of replay streams), each listening on its own port. Changes are published through
 * one instance's publisher and read from streams open on the other.
 */
let a: TestApp;
let b: TestApp;
let urlA: string;
let urlB: string;
const closers: (() => Promise<void>)[] = [];
let location: number;
let otherLocation: number;
let admin: Account;
let manager: Account;
let crew: Account;

const tag = `live-${process.pid}`;
const open: SseClient[] = [];

async function events(url: string, cookie: string | undefined, lastEventId?: string): Promise<SseClient> {
  const client = await openEvents(url, cookie, lastEventId);
  open.push(client);
  return client;
}

let scheduleIds = 900_000_000 + Math.floor(Math.random() * 1_000_000);
function scheduleRef(locationId: number, status: ScheduleStatus, version = 1): ScheduleRef {
  return { id: ++scheduleIds, locationId, weekStart: uniqueMonday(), status, version };
}
const changed = (schedule: ScheduleRef, previousStatus: ScheduleStatus | null = schedule.status): LiveChange => ({ kind: 'schedule', schedule, previousStatus });
const publishOnA = (...changes: LiveChange[]) => a.deps.live.publisher.publish(changes);

beforeAll(async () => {
  // Heartbeats (and the session checks that come with them) out of the way: revocation must reach streams by itself.
  a = await createApiTestApp(tag);
  b = await createApiTestApp(tag);
  const la = await listen(a.app);
  const lb = await listen(b.app);
  urlA = la.url;
  urlB = lb.url;
  closers.push(la.close, lb.close);
  const db = a.deps.database.db;
  location = (await insertLocation(db)).id;
  otherLocation = (await insertLocation(db)).id;
  admin = await makeAccount(db, 'admin', [], 'Live Admin');
  manager = await makeAccount(db, 'manager', [location], 'Live Manager');
  crew = await makeAccount(db, 'crew', [location], 'Live Crew');
  // Both subscriptions up before anything is published.
  for (const t of [a, b]) while (!t.deps.live.hub.accepting) await new Promise((r) => setTimeout(r, 20));
});

afterAll(async () => {
  for (const c of open) c.close();
  for (const close of closers) await close();
  await a.close();
  await b.close();
});

const cookieOf = (account: Account, app = a) => loginCookie(app.app, account.email, ACCOUNT_PASSWORD);

describe('GET /api/events', () => {
  it('without a session is a 401 problem, not a stream', async () => {
    const res = await request(a.app).get('/api/events').set('accept', 'text/event-stream').expect(401);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.code).toBe('unauthenticated');
  });

  it('opens a text/event-stream with a reconnect delay and the id to resume from', async () => {
    const client = await events(urlB, await cookieOf(crew));
    expect(client.status).toBe(200);
    expect(client.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(client.headers['cache-control']).toBe('no-store, no-transform');
    // Never a page: the headers for documents stay off it, the ones for any response stay on.
    expect(client.headers).toMatchObject({ 'x-content-type-options': 'nosniff', 'cross-origin-resource-policy': 'same-origin' });
    expect(client.headers['content-security-policy']).toBeUndefined();
    expect(client.headers['x-frame-options']).toBeUndefined();
    expect((await request(a.app).get('/api/health/live')).headers['content-security-policy']).toMatch(/default-src/);
    await client.next(() => false, 200).catch(() => undefined);
    expect(client.retries[0]).toBeGreaterThan(0);
    expect(client.lastId).toMatch(/^\d+-\d+$/);
  });

  it('delivers a change published on one instance to streams open on the other', async () => {
    const cookie = await cookieOf(manager);
    const onB = await events(urlB, cookie);
    const onA = await events(urlA, cookie);
    const week = scheduleRef(location, 'draft');
    await publishOnA(changed(week, null));
    for (const client of [onB, onA]) {
      const event = await client.next((e) => e.event === 'schedule');
      expect(event.data).toEqual({ id: week.id, locationId: location, weekStart: week.weekStart, status: 'draft', version: 1 });
      expect(event.id).toMatch(/^\d+-\d+$/);
    }
  });

  it('never shows crew a draft, and tells them when a week they saw is unpublished or deleted', async () => {
    const crewStream = await events(urlB, await cookieOf(crew));
    const managerStream = await events(urlB, await cookieOf(manager));
    const draft = scheduleRef(location, 'draft');
    const published = scheduleRef(location, 'published');
    const elsewhere = scheduleRef(otherLocation, 'published');
    await publishOnA(changed(draft, null));
    await publishOnA(changed(elsewhere, null));
    await publishOnA(changed(published, 'draft'));
    await publishOnA(changed({ ...published, status: 'draft', version: 2 }, 'published'));
    await publishOnA({ kind: 'schedule.removed', schedule: draft });
    await publishOnA({ kind: 'schedule.removed', schedule: { ...published, status: 'published', version: 3 } });

    const seenByCrew = await crewStream.count(3);
    expect(seenByCrew.map((e) => [e.event, e.data])).toEqual([
      ['schedule', { id: published.id, locationId: location, weekStart: published.weekStart, status: 'published', version: 1 }],
      ['schedule.removed', { id: published.id }],
      ['schedule.removed', { id: published.id }],
    ]);
    const seenByManager = await managerStream.count(5);
    expect(seenByManager.map((e) => e.event)).toEqual(['schedule', 'schedule', 'schedule', 'schedule.removed', 'schedule.removed']);
    expect(seenByManager.map((e) => (e.data as { id: number }).id)).toEqual([draft.id, published.id, published.id, draft.id, published.id]);
    // Nothing else on its way to the crew member: the last event the manager got came after them all.
    expect(crewStream.events).toHaveLength(3);
  });

  it('replays what a dropped connection missed, in order, then goes live with no gap or duplicate', async () => {
    const cookie = await cookieOf(manager);
    const first = await events(urlA, cookie);
    const before = scheduleRef(location, 'draft');
    await publishOnA(changed(before, null));
    await first.next((e) => (e.data as { id: number }).id === before.id);
    first.close();
    await first.ended;

    const week = scheduleRef(location, 'draft');
    for (let version = 1; version <= 3; version++) await publishOnA(changed({ ...week, version }));
    // Reconnect on the other instance while more changes are being published.
    const writing = (async () => {
      for (let version = 4; version <= 40; version++) await publishOnA(changed({ ...week, version }));
    })();
    const again = await events(urlB, cookie, first.lastId);
    await writing;
    const seen = await again.count(40 - 1 + 1);
    expect(seen.map((e) => (e.data as { version: number }).version)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(new Set(seen.map((e) => e.id)).size).toBe(40);
  });

  it('answers a garbage, future or too old Last-Event-ID with reset, never an error', async () => {
    const cookie = await cookieOf(crew);
    const now = Date.now();
    for (const id of ['garbage', '99999999999999-1', `${Number.MAX_SAFE_INTEGER}-${now}`, eventId(1, now - 10 * 60_000), '-1']) {
      const client = await events(urlB, cookie, id);
      expect(client.status).toBe(200);
      const reset = await client.next((e) => e.event === 'reset');
      expect(reset.data).toEqual({});
      // The reset carries an id to resume from.
      expect(reset.id).toMatch(/^\d+-\d+$/);
      client.close();
    }
  });

  it('stops events of a location at once for someone removed from it, and sends them `me`', async () => {
    const db = a.deps.database.db;
    const person = await makeAccount(db, 'crew', [location, otherLocation], 'Moving Crew');
    const adminCookie = await cookieOf(admin);
    const stream = await events(urlB, await cookieOf(person));
    const here = scheduleRef(location, 'published');
    await publishOnA(changed(here, null));
    await stream.next((e) => e.event === 'schedule');

    await request(a.app).patch(`/api/users/${person.id}`).set('cookie', adminCookie).send({ locationIds: [otherLocation] }).expect(200);
    const stillHere = { ...here, version: 2 };
    const there = scheduleRef(otherLocation, 'published');
    // The person's change and the next events go out back to back: access must be re-read before the next delivery.
    await publishOnA({ kind: 'user', userId: person.id });
    await publishOnA(changed(stillHere));
    await publishOnA(changed(there, null));
    const me = await stream.next((e) => e.event === 'me');
    expect((me.data as { user: { id: number; locationIds: number[] } }).user).toMatchObject({ id: person.id, locationIds: [otherLocation] });
    const next = await stream.next((e) => e.event === 'schedule' && (e.data as { id: number }).id === there.id);
    expect(next).toBeDefined();
    expect(stream.events.filter((e) => e.event === 'schedule').map((e) => (e.data as { id: number }).id)).toEqual([here.id, there.id]);
  });

  it('ends a stream with session.ended when its session is revoked anywhere: logout, deactivation', async () => {
    const db = a.deps.database.db;
    const person = await makeAccount(db, 'crew', [location], 'Leaving Crew');
    const cookie = await cookieOf(person);
    const stream = await events(urlB, cookie);
    await request(a.app).post('/api/auth/logout').set('cookie', cookie).expect(204);
    await stream.next((e) => e.event === 'session.ended');
    await stream.ended;

    const second = await events(urlB, await cookieOf(person));
    const third = await events(urlA, await cookieOf(person));
    await request(a.app).delete(`/api/users/${person.id}`).set('cookie', await cookieOf(admin)).expect(204);
    for (const s of [second, third]) {
      await s.next((e) => e.event === 'session.ended');
      await s.ended;
    }
    // And the session is gone for good: a reconnect is a 401, not a stream.
    await request(b.app).get('/api/events').set('cookie', cookie).expect(401);
  });
});
