import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { eq } from 'drizzle-orm';
import ICAL from 'ical.js';
import request from 'supertest';
import { addWeeks, mondayOf } from '../../shared/time.js';
import { calendarFeeds, locationMembers } from '../db/schema.js';
import { createApiTestApp, expectProblem, hoursAfter, localTime, scenario, type Person, type Scenario } from '../../test/support/api.js';
import { logEntries, takeUnexpectedErrors } from '../../test/support/logs.js';
import type { TestApp } from '../../test/support/test-app.js';
import { eventUid, fold, renderCalendar } from './calendar.ics.js';

/**
 * Calendar feeds (API.md, "Shift requests, notifications, calendar"): who may make one, what a
 * calendar app reads from it (parsed by ical.js, a third-party RFC 5545 parser, and checked line
 * by line), how it follows the person's shifts as they move, and how a new address kills the old.
 */

let t: TestApp;
let s: Scenario;

beforeAll(async () => {
  t = await createApiTestApp('calendar');
  s = scenario(t);
});
afterAll(() => t.close());
afterEach(() => expect(takeUnexpectedErrors()).toEqual([]));

const ZONE = 'Europe/Amsterdam';
/** Weeks inside every feed's window (30 days back to 90 ahead), whenever the suite runs. */
const nextWeek = addWeeks(mondayOf(new Date(), ZONE), 1);
const weekAfter = addWeeks(nextWeek, 1);

interface FeedEvent {
  uid: string;
  start: string;
  end: string;
  summary: string;
  location: string;
  description: string;
  sequence: number;
}

/** What a calendar app reads from a feed: RFC 5545 as ical.js parses it, after the checks it does not make. */
function parseFeed(body: string): FeedEvent[] {
  // Content lines end in CRLF and hold at most 75 octets (RFC 5545 §3.1).
  expect(body.endsWith('\r\n')).toBe(true);
  const lines = body.slice(0, -2).split('\r\n');
  expect(lines.filter((line) => line.includes('\n') || line.includes('\r'))).toEqual([]);
  expect(lines.filter((line) => Buffer.byteLength(line) > 75)).toEqual([]);
  const calendar = new ICAL.Component(ICAL.parse(body));
  expect(calendar.name).toBe('vcalendar');
  expect(calendar.getFirstPropertyValue('version')).toBe('2.0');
  expect(calendar.getFirstPropertyValue('prodid')).toEqual(expect.any(String));
  return calendar.getAllSubcomponents('vevent').map((vevent) => {
    for (const required of ['uid', 'dtstamp', 'dtstart', 'dtend']) expect(vevent.hasProperty(required)).toBe(true);
    const event = new ICAL.Event(vevent);
    expect(event.startDate.zone?.tzid).toBe('UTC');
    return {
      uid: event.uid,
      start: event.startDate.toJSDate().toISOString(),
      end: event.endDate.toJSDate().toISOString(),
      summary: event.summary,
      location: event.location,
      description: event.description,
      sequence: event.sequence,
    };
  });
}

const tokenOf = (url: string) => /^\/api\/calendar\/(.+)\.ics$/.exec(url)![1]!;

async function makeFeed(person: Person): Promise<string> {
  const res = await person.agent.post(`/api/users/${person.id}/calendar-feed`).expect(201);
  expect(Object.keys(res.body)).toEqual(['url']);
  expect(res.body.url).toMatch(/^\/api\/calendar\/\d+\.[A-Za-z0-9_-]{43}\.ics$/);
  return res.body.url as string;
}

async function readFeed(url: string): Promise<FeedEvent[]> {
  const res = await s.anonymous().get(url).buffer(true).parse((r, done) => {
    let text = '';
    r.setEncoding('utf8');
    r.on('data', (chunk: string) => (text += chunk));
    r.on('end', () => done(null, text));
  });
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toBe('text/calendar; charset=utf-8');
  expect(res.headers['cache-control']).toBe('no-store');
  return parseFeed(res.body as string);
}

/** A location with a published and a draft week, its manager, and two of its crew. */
async function venue(name = 'Canal Café', timezone = ZONE) {
  const location = await s.location({ name, address: 'Herengracht 1; Amsterdam', timezone });
  const manager = await s.manager([location]);
  const [ana, ben] = [await s.crew([location]), await s.crew([location])];
  const published = await s.schedule(location, { weekStart: nextWeek, status: 'published' });
  const draft = await s.schedule(location, { weekStart: weekAfter });
  const at = (week: string, day: number, time: string) => localTime(week, day, time, timezone);
  return { location, manager, ana, ben, published, draft, at };
}

describe('POST /api/users/:id/calendar-feed', () => {
  it('gives the person a secret address, stored only as its hash', async () => {
    const { ana } = await venue();
    const url = await makeFeed(ana);
    const [row] = await t.deps.database.db.select().from(calendarFeeds).where(eq(calendarFeeds.userId, ana.id));
    expect(row!.tokenHash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(row)).not.toContain(tokenOf(url).split('.')[1]);
  });

  it('is the person’s alone: their manager and an admin get a 403, others a 404, nobody signed in a 401', async () => {
    const { manager, ana, ben } = await venue();
    const admin = await s.admin();
    const elsewhere = await s.manager([await s.location()]);
    const path = `/api/users/${ana.id}/calendar-feed`;
    expectProblem(await manager.agent.post(path), 403, 'forbidden');
    expectProblem(await admin.agent.post(path), 403, 'forbidden');
    expectProblem(await ben.agent.post(path), 404, 'not_found');
    expectProblem(await elsewhere.agent.post(path), 404, 'not_found');
    expectProblem(await s.anonymous().post(path), 401, 'unauthenticated');
    expectProblem(await ana.agent.post('/api/users/0/calendar-feed'), 400, 'validation_failed');
    // Nobody else's attempt made a feed.
    expect(await t.deps.database.db.select().from(calendarFeeds).where(eq(calendarFeeds.userId, ana.id))).toEqual([]);
  });
});

describe('GET /api/calendar/<token>.ics', () => {
  it('holds the person’s shifts in published weeks at every location, in UTC, with location and position', async () => {
    const { location, ana, ben, published, draft, at } = await venue();
    const tokyo = await s.location({ name: 'Shibuya Bar', timezone: 'Asia/Tokyo' });
    await s.db.insert(locationMembers).values({ userId: ana.id, locationId: tokyo.id });
    const abroad = await s.schedule(tokyo, { weekStart: weekAfter, status: 'published' });
    const mine = await s.shift(published, { userId: ana.id, position: 'Bartender', startsAt: at(nextWeek, 2, '22:00'), endsAt: at(nextWeek, 3, '06:00'), notes: 'Close up, then lock the cellar' });
    const far = await s.shift(abroad, { userId: ana.id, position: 'Host', startsAt: localTime(weekAfter, 4, '18:00', 'Asia/Tokyo'), endsAt: localTime(weekAfter, 4, '23:00', 'Asia/Tokyo') });
    await s.shift(draft, { userId: ana.id, startsAt: at(weekAfter, 1, '09:00'), endsAt: at(weekAfter, 1, '17:00') }); // a draft: not yet
    await s.shift(published, { userId: ben.id, startsAt: at(nextWeek, 1, '09:00'), endsAt: at(nextWeek, 1, '17:00') }); // someone else's
    await s.shift(published, { startsAt: at(nextWeek, 1, '09:00'), endsAt: at(nextWeek, 1, '17:00') }); // open
    const old = await s.schedule(location, { weekStart: addWeeks(nextWeek, -8), status: 'published' });
    await s.shift(old, { userId: ana.id, startsAt: at(old.weekStart, 1, '09:00'), endsAt: at(old.weekStart, 1, '17:00') }); // before the window

    const events = await readFeed(await makeFeed(ana));
    expect(events).toEqual([
      {
        uid: eventUid(mine.id),
        start: mine.startsAt.toISOString(),
        end: mine.endsAt.toISOString(),
        summary: `Bartender · ${location.name}`,
        location: `${location.name}, Herengracht 1; Amsterdam`,
        description: expect.stringContaining('Notes: Close up, then lock the cellar'),
        sequence: 0,
      },
      {
        uid: eventUid(far.id),
        start: far.startsAt.toISOString(),
        end: far.endsAt.toISOString(),
        summary: 'Host · Shibuya Bar',
        location: 'Shibuya Bar',
        description: expect.stringContaining('18:00 – 23:00 (Asia/Tokyo time)'),
        sequence: 0,
      },
    ]);
    // The overnight shift, on the location's clock.
    expect(events[0]!.description).toContain('22:00 – ');
    expect(events[0]!.description).toContain('06:00 (Europe/Amsterdam time)');
  });

  it('follows the person’s shifts: a move to a colleague, a new time, a deletion, an unpublished week', async () => {
    const { manager, ana, ben, published, at } = await venue();
    const [anaFeed, benFeed] = [await makeFeed(ana), await makeFeed(ben)];
    const shift = await s.shift(published, { userId: ana.id, startsAt: at(nextWeek, 1, '09:00'), endsAt: at(nextWeek, 1, '17:00') });
    const other = await s.shift(published, { userId: ana.id, startsAt: at(nextWeek, 4, '09:00'), endsAt: at(nextWeek, 4, '17:00') });
    // Both feeds are read (and cached) before each change: what follows must be fresh, not the cached copy.
    expect((await readFeed(anaFeed)).map((e) => e.uid)).toEqual([eventUid(shift.id), eventUid(other.id)]);
    expect(await readFeed(benFeed)).toEqual([]);

    await manager.agent.patch(`/api/schedules/${published.id}/shifts/${shift.id}`).send({ userId: ben.id }).expect(200);
    expect((await readFeed(anaFeed)).map((e) => e.uid)).toEqual([eventUid(other.id)]);
    const moved = await readFeed(benFeed);
    expect(moved.map((e) => [e.uid, e.start, e.sequence])).toEqual([[eventUid(shift.id), shift.startsAt.toISOString(), 1]]);

    const later = at(nextWeek, 1, '12:00');
    await manager.agent.patch(`/api/schedules/${published.id}/shifts/${shift.id}`).send({ startsAt: later, endsAt: hoursAfter(later, 8) }).expect(200);
    // The same event, updated: same UID, a later SEQUENCE.
    expect((await readFeed(benFeed)).map((e) => [e.uid, e.start, e.sequence])).toEqual([[eventUid(shift.id), new Date(later).toISOString(), 2]]);

    await manager.agent.delete(`/api/schedules/${published.id}/shifts/${shift.id}`).expect(204);
    expect(await readFeed(benFeed)).toEqual([]);

    await manager.agent.patch(`/api/schedules/${published.id}`).send({ status: 'draft' }).expect(200);
    expect(await readFeed(anaFeed)).toEqual([]);
    await manager.agent.patch(`/api/schedules/${published.id}`).send({ status: 'published' }).expect(200);
    expect((await readFeed(anaFeed)).map((e) => e.uid)).toEqual([eventUid(other.id)]);
  });

  it('shows a shift the person takes, and a location’s new name, at once', async () => {
    const { location, manager, ana, published, at } = await venue();
    const feed = await makeFeed(ana);
    const open = await s.shift(published, { startsAt: at(nextWeek, 5, '09:00'), endsAt: at(nextWeek, 5, '17:00') });
    expect(await readFeed(feed)).toEqual([]);
    await ana.agent.post(`/api/schedules/${published.id}/shifts/${open.id}/claim`).expect(200);
    expect((await readFeed(feed)).map((e) => e.uid)).toEqual([eventUid(open.id)]);
    await manager.agent.patch(`/api/locations/${location.id}`).send({ name: 'Canal Café & Bar' }).expect(200);
    expect((await readFeed(feed)).map((e) => e.summary)).toEqual(['Bartender · Canal Café & Bar']);
  });

  it('is read from the cache until a change to the person’s shifts, and the next read after one is fresh', async () => {
    const { manager, ana, published, at } = await venue();
    const feed = await makeFeed(ana);
    const loads = () => counter('crewplots_cache_loads_total');
    const before = await loads();
    await readFeed(feed);
    await readFeed(feed);
    await readFeed(feed);
    expect((await loads()) - before).toBe(1);
    const res = await manager.agent
      .post(`/api/schedules/${published.id}/shifts`)
      .send({ userId: ana.id, position: 'Runner', startsAt: at(nextWeek, 3, '10:00'), endsAt: at(nextWeek, 3, '14:00') })
      .expect(201);
    expect((await readFeed(feed)).map((e) => e.uid)).toEqual([eventUid(res.body.id)]);
    expect((await loads()) - before).toBe(2);
  });

  it('answers 404 once a new address is made, and for a deactivated person', async () => {
    const { ana, published, at } = await venue();
    const first = await makeFeed(ana);
    await s.shift(published, { userId: ana.id, startsAt: at(nextWeek, 1, '09:00'), endsAt: at(nextWeek, 1, '17:00') });
    expect(await readFeed(first)).toHaveLength(1);
    const second = await makeFeed(ana);
    expect(second).not.toBe(first);
    expectProblem(await s.anonymous().get(first), 404, 'not_found');
    expect(await readFeed(second)).toHaveLength(1);

    const admin = await s.admin();
    await admin.agent.delete(`/api/users/${ana.id}`).expect(204);
    expectProblem(await s.anonymous().get(second), 404, 'not_found');
  });

  it('answers a malformed token exactly as an unknown one', async () => {
    const { ana } = await venue();
    const real = tokenOf(await makeFeed(ana));
    const [id, secret] = real.split('.') as [string, string];
    const tokens = [
      `${id}.${'A'.repeat(43)}`, // unknown
      `${id}.${secret.slice(0, -1)}`,
      `${id}.${secret}x`,
      `${Number(id) + 1}.${secret}`,
      `0.${secret}`,
      `2147483648.${secret}`,
      `99999999999999999999.${secret}`,
      secret,
      'not-a-token',
      encodeURIComponent('é.{}*'),
      'x'.repeat(3000),
    ];
    const bodies = new Set<string>();
    for (const token of tokens) {
      const res = await s.anonymous().get(`/api/calendar/${token}.ics`);
      expectProblem(res, 404, 'not_found');
      bodies.add(JSON.stringify(res.body));
    }
    expect([...bodies]).toEqual([JSON.stringify({ type: 'about:blank', title: 'Not Found', status: 404, detail: 'No such calendar feed.', code: 'not_found' })]);
  });

  it('never writes the token into a log line', async () => {
    const { ana } = await venue();
    const url = await makeFeed(ana);
    await readFeed(url);
    await s.anonymous().get(`${url.slice(0, -5)}x.ics`).expect(404);
    const logged = JSON.stringify(logEntries());
    expect(logged).toContain('/api/calendar/[secret]');
    expect(logged).not.toContain(tokenOf(url).split('.')[1]);
  });
});

describe('a client address guessing tokens', () => {
  it('gets a 429 with Retry-After after 30 unknown tokens, before any lookup', async () => {
    // An app of its own: the counter is per address, and every test here comes from 127.0.0.1.
    const own = await createApiTestApp(`calendar-limit-${process.pid}-${Date.now()}`);
    try {
      const guess = (n: number) => request(own.app).get(`/api/calendar/1.${String(n).padStart(43, 'A')}.ics`);
      for (let n = 0; n < 30; n++) expect((await guess(n)).status).toBe(404);
      const refused = await guess(30);
      expectProblem(refused, 429, 'rate_limited');
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    } finally {
      await own.close();
    }
  });
});

describe('the iCalendar text', () => {
  const shift = (over: Partial<Parameters<typeof renderCalendar>[0][number]> = {}) => ({
    id: 7,
    version: 3,
    position: 'Bartender',
    startsAt: new Date('2027-03-26T08:00:00Z'),
    endsAt: new Date('2027-03-26T16:00:00Z'),
    updatedAt: new Date('2027-03-01T12:00:00Z'),
    notes: null,
    location: { name: 'Canal Café', address: null, timezone: ZONE },
    ...over,
  });

  it('keeps the location’s wall clock across a daylight-saving change, in UTC instants', () => {
    // 09:00 in Amsterdam on the Friday before the clocks go forward (CET, UTC+1) and the Monday after (CEST, UTC+2).
    const before = shift({ id: 1, startsAt: new Date('2027-03-26T08:00:00Z'), endsAt: new Date('2027-03-26T16:00:00Z') });
    const after = shift({ id: 2, startsAt: new Date('2027-03-29T07:00:00Z'), endsAt: new Date('2027-03-29T15:00:00Z') });
    const events = parseFeed(renderCalendar([before, after]));
    expect(events.map((e) => [e.start, e.end])).toEqual([
      ['2027-03-26T08:00:00.000Z', '2027-03-26T16:00:00.000Z'],
      ['2027-03-29T07:00:00.000Z', '2027-03-29T15:00:00.000Z'],
    ]);
    expect(events.map((e) => /\d\d:\d\d – \d\d:\d\d/.exec(e.description)![0])).toEqual(['09:00 – 17:00', '09:00 – 17:00']);
  });

  it('escapes text and folds long lines without splitting a character', () => {
    const notes = 'Bring: keys, apron; the "big" torch\\ and\nthe float. '.repeat(4) + '🍸'.repeat(30);
    const [event] = parseFeed(renderCalendar([shift({ notes, position: 'Bar, floor; cellar' })]));
    expect(event!.summary).toBe('Bar, floor; cellar · Canal Café');
    expect(event!.description).toContain(`Notes: ${notes}`);
    expect(event!.sequence).toBe(2);
    for (const line of fold('Ä'.repeat(100)).split('\r\n')) expect(Buffer.byteLength(line)).toBeLessThanOrEqual(75);
  });

  it('renders the same shifts to the same bytes', () => {
    expect(renderCalendar([shift()])).toBe(renderCalendar([shift()]));
  });
});

async function counter(name: string): Promise<number> {
  const metric = await t.deps.metrics.registry.getSingleMetric(name)?.get();
  return metric?.values.filter((v) => v.labels.namespace === 'calendar').reduce((n, v) => n + v.value, 0) ?? 0;
}
