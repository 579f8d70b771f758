import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Warnings, type WarningCode } from '../shared/schemas/planning.js';
import { createApiTestApp, localTime, scenario, signIn, type Agent, type Person, type Scenario } from './support/api.js';
import type { TestApp } from './support/test-app.js';

/**
 * A week's warnings are cached, and they read inputs that are not the week: a shift at another
 * location, time off, availability, a weekly limit (DESIGN.md rule 10). For each input: readers on
 * two instances keep reading location A's warnings while a writer on one of them flips the input
 * back and forth; a read that starts after a write was acknowledged must show that write (rule 4).
 * Each flip is also read once, right after its acknowledgement, on the other instance: without
 * the declaration that warnings copy the input, that read is the cached one from before, and the
 * test fails.
 */

let one: TestApp;
let two: TestApp;
let s: Scenario;

beforeAll(async () => {
  // Two instances of the app on one Redis, with one key prefix, as two processes behind a balancer.
  [one, two] = await Promise.all([createApiTestApp('freshness'), createApiTestApp('freshness')]);
  s = scenario(one);
});
afterAll(() => Promise.all([one.close(), two.close()]));

const WEEK = '2031-09-08';
const at = (day: number, time: string) => localTime(WEEK, day, time);

interface Setting {
  a: { id: number };
  b: { id: number };
  manager: Person;
  worker: Person;
  /** The manager signed in on the second instance. */
  elsewhere: Agent;
  shiftAtA: number;
}

async function setting(): Promise<Setting> {
  const [locA, locB] = [await s.location(), await s.location({ name: 'Second Venue' })];
  const manager = await s.manager([locA, locB]);
  const worker = await s.crew([locA, locB]);
  const [a, b] = [await s.schedule(locA, { weekStart: WEEK }), await s.schedule(locB, { weekStart: WEEK })];
  const res = await manager.agent.post(`/api/schedules/${a.id}/shifts`).send({ userId: worker.id, position: 'Bar', startsAt: at(2, '10:00'), endsAt: at(2, '16:00') }).expect(201);
  return { a, b, manager, worker, elsewhere: await signIn(two.app, manager.email), shiftAtA: res.body.id };
}

const codes = async (agent: Agent, scheduleId: number): Promise<WarningCode[]> => {
  const res = await agent.get(`/api/schedules/${scheduleId}/warnings`).expect(200);
  return Warnings.parse(res.body).items.map((w) => w.code);
};

interface Input {
  code: WarningCode;
  /** Turns the input on (the warning appears) or off (it goes). */
  flip(w: Setting, on: boolean, state: Record<string, number>): Promise<void>;
}

const INPUTS: Record<string, Input> = {
  'a shift of the same person added at location B': {
    code: 'other_location',
    async flip(w, on, state) {
      if (on) {
        const res = await w.manager.agent.post(`/api/schedules/${w.b.id}/shifts`).send({ userId: w.worker.id, position: 'Kitchen', startsAt: at(2, '18:00'), endsAt: at(2, '22:00') }).expect(201);
        state.shiftAtB = res.body.id;
      } else {
        await w.manager.agent.delete(`/api/schedules/${w.b.id}/shifts/${state.shiftAtB}`).expect(204);
      }
    },
  },
  'time off approved (and denied)': {
    code: 'time_off',
    async flip(w, on, state) {
      if (!state.timeOff) {
        const asked = await w.worker.agent.post('/api/time-off').send({ startsOn: '2031-09-10', endsOn: '2031-09-10' }).expect(201);
        state.timeOff = asked.body.id;
      }
      await w.manager.agent.patch(`/api/time-off/${state.timeOff}`).send({ status: on ? 'approved' : 'denied' }).expect(200);
    },
  },
  'availability changed': {
    code: 'unavailable',
    async flip(w, on) {
      const unavailable = on ? [{ weekday: 3, from: '08:00', to: '11:00' }] : [];
      await w.worker.agent.put(`/api/users/${w.worker.id}/availability`).send({ unavailable }).expect(200);
    },
  },
  'a weekly limit changed': {
    code: 'over_hours',
    async flip(w, on) {
      await w.manager.agent.patch(`/api/users/${w.worker.id}`).send({ maxWeeklyHours: on ? 4 : null }).expect(200);
    },
  },
};

const FLIPS = 8;
const READERS_PER_INSTANCE = 3;

describe.each(Object.entries(INPUTS))('warnings stay fresh when %s', (_name, input) => {
  it('a read that starts after the write was acknowledged shows it, on either instance', async () => {
    const w = await setting();
    const readers = [w.manager.agent, w.elsewhere];
    // Both instances have the warnings cached before the first write.
    for (const agent of readers) expect(await codes(agent, w.a.id)).not.toContain(input.code);

    let started = 0;
    let acknowledged = 0;
    let done = false;
    const stale: Array<{ from: number; to: number; seen: boolean }> = [];
    let reads = 0;
    const expected = (writes: number) => writes % 2 === 1;

    const reader = async (agent: Agent) => {
      while (!done) {
        const from = acknowledged;
        const seen = (await codes(agent, w.a.id)).includes(input.code);
        const to = started;
        reads += 1;
        // Any state between the last acknowledged write when the read began and the last write
        // begun when it ended is allowed; none before.
        const allowed = new Set(Array.from({ length: to - from + 1 }, (_, i) => expected(from + i)));
        if (!allowed.has(seen)) stale.push({ from, to, seen });
      }
    };
    const state: Record<string, number> = {};
    const writer = async () => {
      for (let i = 1; i <= FLIPS; i++) {
        started = i;
        await input.flip(w, i % 2 === 1, state);
        acknowledged = i;
        // The other instance, right after the acknowledgement: the write must be there.
        expect({ flip: i, seen: (await codes(w.elsewhere, w.a.id)).includes(input.code) }).toEqual({ flip: i, seen: expected(i) });
      }
      done = true;
    };
    await Promise.all([writer(), ...readers.flatMap((agent) => Array.from({ length: READERS_PER_INSTANCE }, () => reader(agent)))]);

    expect(stale).toEqual([]);
    expect(reads).toBeGreaterThan(FLIPS);
  }, 60_000);
});
