import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SchedulePresence } from '../../shared/schemas/presence.js';
import { createApiTestApp, scenario, type Person, type Scenario } from '../../test/support/api.js';
import { logEntries } from '../../test/support/logs.js';
import { startPrivateRedis, type PrivateRedis } from '../../test/support/redis-server.js';
import type { TestApp } from '../../test/support/test-app.js';

/**
 * Presence is a hint (docs/decisions/036): with its Redis (the cache's) down or stalled, the
 * planner is told nobody else is there, promptly, and never gets an error. Sessions stay on the
 * main Redis; the cache's is a private server this suite stops and freezes.
 */

let redis: PrivateRedis;
let t: TestApp;
let s: Scenario;
let femke: Person;
let jan: Person;
let week: { id: number };

beforeAll(async () => {
  redis = await startPrivateRedis();
  t = await createApiTestApp('presence-outage', { REDIS_CACHE_URL: `redis://127.0.0.1:${redis.port}` });
  s = scenario(t);
  const venue = await s.location({ name: 'Pier' });
  femke = await s.manager([venue], { name: 'Femke Visser' });
  jan = await s.manager([venue], { name: 'Jan Bakker' });
  week = await s.schedule(venue);
});
afterAll(async () => {
  await t?.close();
  await redis?.destroy();
});

/** PUT as `who`: the editors it answers with, and how long it took. */
async function enter(who: Person) {
  const started = Date.now();
  const res = await who.agent.put(`/api/schedules/${week.id}/presence`);
  const ms = Date.now() - started;
  expect({ status: res.status, type: res.headers['content-type'] }).toEqual({ status: 200, type: expect.stringMatching(/^application\/json/) });
  return { editors: SchedulePresence.parse(res.body).editors.map((e) => e.name), ms };
}

const logged = (msg: RegExp) => logEntries().filter((e) => msg.test(String(e.msg)));
const UNAVAILABLE = /^planner presence unavailable/;
const AVAILABLE = /^planner presence available again/;

/** Renews Femke and asks as Jan until Jan sees her: Redis is back and the client has reconnected. */
async function untilSeenAgain(timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await enter(femke);
    if ((await enter(jan)).editors.includes('Femke Visser')) return;
    if (Date.now() > deadline) throw new Error('presence did not come back');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('presence while its Redis fails', () => {
  it('answers 200 with nobody while Redis is down, and 204 to a DELETE; logs the outage once; recovers by itself', async () => {
    await enter(femke);
    expect((await enter(jan)).editors).toEqual(['Femke Visser']);

    await redis.stop();
    for (let i = 0; i < 5; i += 1) {
      const { editors, ms } = await enter(jan);
      expect(editors).toEqual([]);
      expect(ms).toBeLessThan(1_500);
    }
    const res = await femke.agent.delete(`/api/schedules/${week.id}/presence`);
    expect(res.status).toBe(204);
    const warnings = logged(UNAVAILABLE);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.level).toBe(40);

    await redis.start();
    await untilSeenAgain();
    expect(logged(AVAILABLE)).toHaveLength(1);
  }, 30_000);

  it('answers 200 with nobody, within the bound, while Redis is stalled', async () => {
    await untilSeenAgain();
    const before = logged(UNAVAILABLE).length;
    redis.signal('SIGSTOP');
    try {
      const { editors, ms } = await enter(jan);
      expect(editors).toEqual([]);
      // The schedule's access check (its cache read) and presence each wait REDIS_COMMAND_TIMEOUT_MS at most.
      expect(ms).toBeLessThan(3_000);
      expect((await femke.agent.delete(`/api/schedules/${week.id}/presence`)).status).toBe(204);
    } finally {
      redis.signal('SIGCONT');
    }
    expect(logged(UNAVAILABLE).length).toBe(before + 1);
    await untilSeenAgain();
  }, 30_000);
});
