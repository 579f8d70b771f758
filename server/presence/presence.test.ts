import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { PRESENCE_TTL_MS, SchedulePresence } from '../../shared/schemas/presence.js';
import { INVALID_IDS, MISSING_ID, createApiTestApp, expectProblem, scenario, type Person, type Scenario } from '../../test/support/api.js';
import type { TestApp } from '../../test/support/test-app.js';
import { presenceKey } from './presence.store.js';

/**
 * PUT and DELETE /api/schedules/:id/presence: who else has a week open in the planner. Every
 * test opens a week of its own, so no test sees another's presence.
 */

let t: TestApp;
let s: Scenario;
let venue: { id: number };
let other: { id: number };
let admin: Person;
let femke: Person;
let jan: Person;
let crew: Person;
let otherManager: Person;

beforeAll(async () => {
  t = await createApiTestApp('presence');
  s = scenario(t);
  [venue, other] = await Promise.all([s.location({ name: 'Harbour' }), s.location({ name: 'Orchard' })]);
  admin = await s.admin({ name: 'Ada Admin' });
  femke = await s.manager([venue], { name: 'Femke Visser' });
  jan = await s.manager([venue], { name: 'Jan Bakker' });
  crew = await s.crew([venue]);
  otherManager = await s.manager([other]);
});
afterAll(() => t.close());

const enter = (who: Person, scheduleId: number) => who.agent.put(`/api/schedules/${scheduleId}/presence`);
const leave = (who: Person, scheduleId: number) => who.agent.delete(`/api/schedules/${scheduleId}/presence`);

/** Who `who` is told is on the week, as the answer's shape demands. */
async function editorsSeenBy(who: Person, scheduleId: number) {
  const res = await enter(who, scheduleId).expect(200);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  return SchedulePresence.parse(res.body).editors;
}

const keyOf = (scheduleId: number) => presenceKey(t.deps.config.redis.prefix, scheduleId);

describe('PUT /api/schedules/:id/presence', () => {
  it('two managers on one week see each other, never themselves', async () => {
    const week = await s.schedule(venue);
    expect(await editorsSeenBy(femke, week.id)).toEqual([]);
    expect(await editorsSeenBy(jan, week.id)).toEqual([{ id: femke.id, name: 'Femke Visser' }]);
    expect(await editorsSeenBy(femke, week.id)).toEqual([{ id: jan.id, name: 'Jan Bakker' }]);
  });

  it('an admin is present too, and everyone else is listed by name', async () => {
    const week = await s.schedule(venue, { status: 'published' });
    await enter(jan, week.id).expect(200);
    await enter(femke, week.id).expect(200);
    expect(await editorsSeenBy(admin, week.id)).toEqual([
      { id: femke.id, name: 'Femke Visser' },
      { id: jan.id, name: 'Jan Bakker' },
    ]);
    expect((await editorsSeenBy(femke, week.id)).map((e) => e.id)).toEqual([admin.id, jan.id]);
  });

  it('presence is per week: a manager on another week is not shown', async () => {
    const [one, two] = [await s.schedule(venue), await s.schedule(venue)];
    await enter(femke, one.id).expect(200);
    expect(await editorsSeenBy(jan, two.id)).toEqual([]);
  });

  it('keeps one sorted set per week under its own prefix, scored by expiry, with a TTL no longer than an entry lasts', async () => {
    const week = await s.schedule(venue);
    await enter(femke, week.id).expect(200);
    await enter(jan, week.id).expect(200);
    const redis = t.deps.redis.cache;
    const key = keyOf(week.id);
    expect(key).toBe(`${t.deps.config.redis.prefix}presence:schedule:${week.id}`);
    expect(await redis.type(key)).toBe('zset');
    const entries = await redis.zrange(key, '0', '-1', 'WITHSCORES');
    expect(entries.filter((_, i) => i % 2 === 0).sort()).toEqual([String(femke.id), String(jan.id)].sort());
    const [seconds] = await redis.time();
    for (const score of entries.filter((_, i) => i % 2 === 1)) {
      expect(Number(score) - Number(seconds) * 1000).toBeGreaterThan(PRESENCE_TTL_MS - 5_000);
      expect(Number(score) - Number(seconds) * 1000).toBeLessThanOrEqual(PRESENCE_TTL_MS + 1_000);
    }
    const ttl = await redis.pttl(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(PRESENCE_TTL_MS);
  });

  it('an entry whose time is up is not shown, and is dropped', async () => {
    const week = await s.schedule(venue);
    await enter(femke, week.id).expect(200);
    // Femke's entry as it stands once her planner has stopped renewing it for longer than it lasts.
    await t.deps.redis.cache.zadd(keyOf(week.id), Date.now() - 1_000, String(femke.id));
    expect(await editorsSeenBy(jan, week.id)).toEqual([]);
    expect(await t.deps.redis.cache.zscore(keyOf(week.id), String(femke.id))).toBeNull();
  });

  it('renewing keeps a manager present', async () => {
    const week = await s.schedule(venue);
    await enter(femke, week.id).expect(200);
    const first = Number(await t.deps.redis.cache.zscore(keyOf(week.id), String(femke.id)));
    await new Promise((r) => setTimeout(r, 20));
    await enter(femke, week.id).expect(200);
    expect(Number(await t.deps.redis.cache.zscore(keyOf(week.id), String(femke.id)))).toBeGreaterThan(first);
    expect(await editorsSeenBy(jan, week.id)).toEqual([{ id: femke.id, name: 'Femke Visser' }]);
  });

  it('a deactivated person is not shown', async () => {
    const week = await s.schedule(venue);
    const leaving = await s.manager([venue], { name: 'Lotte Leaving' });
    await enter(leaving, week.id).expect(200);
    expect((await editorsSeenBy(jan, week.id)).map((e) => e.id)).toEqual([leaving.id]);
    await admin.agent.delete(`/api/users/${leaving.id}`).expect(204);
    expect(await editorsSeenBy(jan, week.id)).toEqual([]);
  });

  it('a manager renamed since is shown by the new name', async () => {
    const week = await s.schedule(venue);
    const renamed = await s.manager([venue], { name: 'Old Name' });
    await enter(renamed, week.id).expect(200);
    await renamed.agent.patch(`/api/users/${renamed.id}`).send({ name: 'New Name' }).expect(200);
    expect(await editorsSeenBy(jan, week.id)).toEqual([{ id: renamed.id, name: 'New Name' }]);
  });

  it('crew who see the week get a 403, as editing it would answer them', async () => {
    const week = await s.schedule(venue, { status: 'published' });
    expectProblem(await enter(crew, week.id), 403, 'forbidden');
    expectProblem(await crew.agent.patch(`/api/schedules/${week.id}`).send({ status: 'published' }), 403, 'forbidden');
    // Refused before anything is recorded: nobody sees them.
    expect(await editorsSeenBy(femke, week.id)).toEqual([]);
  });

  it('crew get a 404 for a draft they cannot see, as editing it would answer them', async () => {
    const week = await s.schedule(venue);
    expectProblem(await enter(crew, week.id), 404, 'not_found');
    expectProblem(await crew.agent.patch(`/api/schedules/${week.id}`).send({ status: 'published' }), 404, 'not_found');
  });

  it('a manager of another location gets what editing the week would answer: a 404', async () => {
    const week = await s.schedule(venue, { status: 'published' });
    const editing = await otherManager.agent.patch(`/api/schedules/${week.id}`).send({ status: 'published' });
    const presence = await enter(otherManager, week.id);
    expect({ status: presence.status, code: presence.body.code }).toEqual({ status: editing.status, code: editing.body.code });
    expectProblem(presence, 404, 'not_found');
    expect(await editorsSeenBy(femke, week.id)).toEqual([]);
  });

  it('a schedule that does not exist is a 404; an id that is not one a 400; no session a 401', async () => {
    expectProblem(await enter(femke, MISSING_ID), 404, 'not_found');
    for (const id of INVALID_IDS) expectProblem(await femke.agent.put(`/api/schedules/${id}/presence`), 400, 'validation_failed');
    const week = await s.schedule(venue);
    expectProblem(await s.anonymous().put(`/api/schedules/${week.id}/presence`), 401, 'unauthenticated');
  });

  it('a request from a foreign origin is refused and records nothing', async () => {
    const week = await s.schedule(venue);
    expectProblem(await enter(femke, week.id).set('Origin', 'https://evil.example'), 403, 'forbidden');
    expect(await editorsSeenBy(jan, week.id)).toEqual([]);
  });
});

describe('DELETE /api/schedules/:id/presence', () => {
  it('takes the caller off the week at once', async () => {
    const week = await s.schedule(venue);
    await enter(femke, week.id).expect(200);
    expect((await editorsSeenBy(jan, week.id)).map((e) => e.id)).toEqual([femke.id]);
    const res = await leave(femke, week.id).expect(204);
    expect(res.text).toBe('');
    expect(await editorsSeenBy(jan, week.id)).toEqual([]);
  });

  it('leaving a week one never opened is a 204 too', async () => {
    const week = await s.schedule(venue);
    await leave(femke, week.id).expect(204);
    expect(await t.deps.redis.cache.exists(keyOf(week.id))).toBe(0);
  });

  it('takes the same access as PUT: crew 403, a manager of another location 404', async () => {
    const week = await s.schedule(venue, { status: 'published' });
    await enter(femke, week.id).expect(200);
    expectProblem(await leave(crew, week.id), 403, 'forbidden');
    expectProblem(await leave(otherManager, week.id), 404, 'not_found');
    expect((await editorsSeenBy(jan, week.id)).map((e) => e.id)).toEqual([femke.id]);
  });
});
