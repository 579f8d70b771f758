import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import { Schedule } from '../../shared/schemas/schedules.js';
import { createApp } from '../app.js';
import { entryKey } from '../cache/cache.keys.js';
import { loadConfig } from '../config.js';
import { schedules, shifts } from '../db/schema.js';
import { createChangeFeed } from './changes.js';
import type { LiveChange, LivePublisher } from '../live/live.types.js';
import { openRuntime, type Runtime } from '../runtime.js';
import { expectProblem, localTime, savedShift, scenario, type Person, type Scenario } from '../../test/support/api.js';
import { uniqueMonday } from '../../test/support/factories.js';
import { expectErrorLog, logEntries, testLogger } from '../../test/support/logs.js';

/**
 * The write path (DESIGN.md rule 10): a write and its version bumps commit together or not at
 * all, and after the commit one declaration drives both the cache invalidation and the live
 * changes. Failures are injected into the real transaction with Postgres triggers scoped to one
 * schedule, so other suites sharing the database never meet them.
 */

let runtime: Runtime;
let s: Scenario;
let venue: { id: number };
let manager: Person;
let crew: Person;

/** What the app handed to live updates, in order; `failing` makes the next publishes throw. */
const published: LiveChange[][] = [];
let failing = false;
/** Runs inside publish: what a client that refetches on the event would read then. */
let onPublish: ((changes: readonly LiveChange[]) => Promise<void>) | undefined;
const live: LivePublisher = {
  async publish(changes) {
    if (failing) throw new Error('the event bus is down');
    await onPublish?.(changes);
    published.push([...changes]);
  },
};

beforeAll(async () => {
  const config = loadConfig({ ...process.env, REDIS_PREFIX: `${process.env.REDIS_PREFIX ?? 'crewplots-test:'}writepath:` });
  runtime = await openRuntime(config, testLogger(), { processMetrics: false });
  await runtime.cache.ready;
  s = scenario({ app: createApp({ ...runtime, publisher: live }), deps: runtime, close: () => runtime.close() });
  venue = await s.location({ name: 'Write Path Hall' });
  manager = await s.manager([venue]);
  crew = await s.crew([venue]);
  await s.db.execute(sql`
    create or replace function test_injected_failure() returns trigger language plpgsql as $$
    begin
      raise exception 'injected failure' using errcode = tg_argv[0];
    end $$`);
});
afterAll(() => runtime.close());
beforeEach(() => {
  published.length = 0;
  failing = false;
  onPublish = undefined;
});

/** A trigger that fails statements touching one schedule, dropped when `run` is done. */
async function withTrigger<T>(name: string, definition: string, run: () => Promise<T>): Promise<T> {
  // Only a constraint trigger may wait for COMMIT.
  await s.db.execute(sql.raw(`create ${definition.includes('deferrable') ? 'constraint ' : ''}trigger ${name} ${definition}`));
  try {
    return await run();
  } finally {
    await s.db.execute(sql.raw(`drop trigger if exists ${name} on ${/ on (\w+) /.exec(definition)![1]}`));
  }
}

async function week() {
  const weekStart = uniqueMonday();
  const schedule = await s.schedule(venue, { weekStart });
  return { schedule, at: (day: number, time: string) => localTime(weekStart, day, time) };
}

const stored = async (scheduleId: number) => ({
  schedule: (await s.db.select().from(schedules).where(eq(schedules.id, scheduleId)))[0]!,
  shifts: await s.db.select().from(shifts).where(eq(shifts.scheduleId, scheduleId)),
});

const read = async (scheduleId: number) => Schedule.parse((await manager.agent.get(`/api/schedules/${scheduleId}`).expect(200)).body);

const counter = async (name: string, labels: Record<string, string>) => {
  const metric = await runtime.metrics.registry.getSingleMetric(name)?.get();
  return metric?.values.filter((v) => Object.entries(labels).every(([k, value]) => v.labels[k] === value)).reduce((n, v) => n + v.value, 0) ?? 0;
};

describe('a shift write whose second step fails inside the transaction', () => {
  it.each([
    ['a statement error (a bug)', 'XX000', 500, 'internal'],
    ['Postgres going away', '57P01', 503, 'service_unavailable'],
  ] as const)('on %s after the insert: %s, nothing kept, the cached week still true, and the retry goes through', async (_what, sqlState, status, code) => {
    const { schedule, at } = await week();
    const before = await read(schedule.id); // cached now
    const body = { userId: crew.id, position: 'Bar', startsAt: at(2, '18:00'), endsAt: at(2, '23:00') };
    if (status === 500) expectErrorLog(/unhandled error|request errored/);

    // The schedule's revision is the statement after the shift's insert; it fails for this week only.
    const res = await withTrigger(
      `fail_revision_${schedule.id}`,
      `before update on schedules for each row when (old.id = ${schedule.id}) execute function test_injected_failure('${sqlState}')`,
      () => manager.agent.post(`/api/schedules/${schedule.id}/shifts`).send(body),
    );
    expectProblem(res, status, code);
    // Nothing committed: no shift, no new version.
    const after = await stored(schedule.id);
    expect(after.shifts).toEqual([]);
    expect(after.schedule.version).toBe(before.version);
    // The cached week agrees with Postgres.
    expect(await read(schedule.id)).toEqual(before);
    expect(published).toEqual([]);

    // The client's retry is not refused by its own shift (the overlap rule would answer 409 if the first had stayed).
    const retry = await manager.agent.post(`/api/schedules/${schedule.id}/shifts`).send(body).expect(201);
    const now = await read(schedule.id);
    expect(now.shifts).toEqual([savedShift(retry.body)]);
    expect(now.version).toBe(before.version + 1);
  });

  it('when COMMIT itself fails, the cached week is dropped anyway (whether it committed is unknown), and the next read is what Postgres holds', async () => {
    const { schedule, at } = await week();
    await read(schedule.id);
    const key = entryKey(runtime.config.redis.prefix, { namespace: 'schedule', id: schedule.id });
    expect(await runtime.redis.cache.exists(key)).toBe(1);
    expectErrorLog(/unhandled error|request errored/);

    // A deferred constraint trigger runs at COMMIT, after every statement of the write succeeded.
    const res = await withTrigger(
      `fail_commit_${schedule.id}`,
      `after insert on shifts deferrable initially deferred for each row when (new.schedule_id = ${schedule.id}) execute function test_injected_failure('XX000')`,
      () => manager.agent.post(`/api/schedules/${schedule.id}/shifts`).send({ position: 'Door', startsAt: at(1, '20:00'), endsAt: at(2, '02:00') }),
    );
    expectProblem(res, 500, 'internal');
    expect(await runtime.redis.cache.exists(key)).toBe(0);
    expect((await stored(schedule.id)).shifts).toEqual([]);
    expect((await read(schedule.id)).shifts).toEqual([]);
  });
});

describe('after the commit', () => {
  it('the cache is invalidated before the change is published, so a client refetching on the event reads the new week', async () => {
    const { schedule, at } = await week();
    const before = await read(schedule.id);
    const seen: number[] = [];
    onPublish = async () => {
      seen.push((await read(schedule.id)).version);
    };
    const res = await manager.agent
      .post(`/api/schedules/${schedule.id}/shifts`)
      .send({ userId: crew.id, position: 'Bar', startsAt: at(3, '10:00'), endsAt: at(3, '16:00') })
      .expect(201);
    expect(seen).toEqual([before.version + 1]);
    expect(published).toEqual([
      [
        {
          kind: 'schedule',
          schedule: { id: schedule.id, locationId: venue.id, weekStart: schedule.weekStart, status: 'draft', version: before.version + 1 },
          previousStatus: 'draft',
        },
      ],
    ]);
    expect((await read(schedule.id)).shifts.map((x) => x.id)).toEqual([res.body.id]);
  });

  it('declares publishing, unpublishing and deleting a week, and a person’s rename, as live changes', async () => {
    const { schedule } = await week();
    const ref = { id: schedule.id, locationId: venue.id, weekStart: schedule.weekStart };
    await manager.agent.patch(`/api/schedules/${schedule.id}`).send({ status: 'published' }).expect(200);
    await manager.agent.patch(`/api/schedules/${schedule.id}`).send({ status: 'published' }).expect(200); // no change, nothing said
    await manager.agent.patch(`/api/schedules/${schedule.id}`).send({ status: 'draft' }).expect(200);
    await manager.agent.delete(`/api/schedules/${schedule.id}`).expect(204);
    const person = await s.crew([venue]);
    await manager.agent.patch(`/api/users/${person.id}`).send({ name: 'Femke de Vries' }).expect(200);
    await manager.agent.patch(`/api/users/${person.id}`).send({ phone: '+31 6 1234 5678' }).expect(200); // only their own entry shows it
    expect(published).toEqual([
      [{ kind: 'schedule', schedule: { ...ref, status: 'published', version: 2 }, previousStatus: 'draft' }],
      [{ kind: 'schedule', schedule: { ...ref, status: 'draft', version: 3 }, previousStatus: 'published' }],
      [{ kind: 'schedule.removed', schedule: { ...ref, status: 'draft', version: 3 } }],
      [{ kind: 'user', userId: person.id }],
    ]);
  });

  it('deleting a location is declared as each member’s locations changing, and their cached profiles follow', async () => {
    const admin = await s.admin();
    const place = await s.location({ name: 'Pop-up' });
    const member = await s.crew([place, venue]);
    expect((await admin.agent.get(`/api/users/${member.id}`).expect(200)).body.locationIds).toEqual([venue.id, place.id].sort((a, b) => a - b));
    await admin.agent.delete(`/api/locations/${place.id}`).expect(204);
    expect(published).toEqual([[{ kind: 'user', userId: member.id }]]);
    expect((await admin.agent.get(`/api/users/${member.id}`).expect(200)).body.locationIds).toEqual([venue.id]);
  });

  it('a publish that fails does not fail the write: answered 201, the cache is fresh, and the failure is counted and logged', async () => {
    const { schedule, at } = await week();
    await read(schedule.id);
    const failuresBefore = await counter('crewplots_write_follow_up_failures_total', { step: 'live' });
    failing = true;
    const res = await manager.agent.post(`/api/schedules/${schedule.id}/shifts`).send({ position: 'Door', startsAt: at(4, '21:00'), endsAt: at(5, '03:00') });
    expect(res.status).toBe(201);
    expect((await read(schedule.id)).shifts).toEqual([savedShift(res.body)]);
    expect(await counter('crewplots_write_follow_up_failures_total', { step: 'live' })).toBe(failuresBefore + 1);
    expect(logEntries().some((e) => e.msg === "a committed write's live step failed" && e.step === 'live')).toBe(true);
  });

  it('a rename reaches every cached week that shows the name, through the copy the schedule loader declares', async () => {
    const person = await s.crew([venue]);
    const [first, second] = [await week(), await week()];
    await s.shift(first.schedule, { userId: person.id, startsAt: first.at(1, '09:00'), endsAt: first.at(1, '17:00') });
    await s.shift(second.schedule, { userId: person.id, startsAt: second.at(2, '09:00'), endsAt: second.at(2, '17:00') });
    const versions = [(await read(first.schedule.id)).version, (await read(second.schedule.id)).version];
    await manager.agent.patch(`/api/users/${person.id}`).send({ name: 'Femke Jansen' }).expect(200);
    for (const [i, { schedule }] of [first, second].entries()) {
      const now = await read(schedule.id);
      expect(now.shifts.map((x) => x.userName)).toEqual(['Femke Jansen']);
      // A rename changes what the week shows, not its revision.
      expect(now.version).toBe(versions[i]);
    }
  });

  it('when the entries that copy a renamed person’s name cannot be found, every cached entry is retired instead, and the failure counted', async () => {
    const feed = createChangeFeed({ cache: runtime.cache, live, logger: testLogger(), metrics: runtime.metrics.writes });
    feed.copies('user.name', () => Promise.reject(new Error('Postgres went away')));
    const Entry = z.strictObject({ userName: z.string() });
    const entry = (userName: string) =>
      runtime.cache.getOrLoad({ key: { namespace: 'schedule', id: 1_999_999_001 }, ttl: 'MEDIUM', schema: Entry, load: async () => ({ userName }) });
    expect((await entry('Femke'))!.value()).toEqual({ userName: 'Femke' });
    expect((await entry('not loaded: a hit'))!.value()).toEqual({ userName: 'Femke' });
    const failuresBefore = await counter('crewplots_write_follow_up_failures_total', { step: 'copies' });

    await feed.committed([{ kind: 'user', userId: manager.id, changed: ['profile', 'name'] }]);
    expect((await entry('Femke Jansen'))!.value()).toEqual({ userName: 'Femke Jansen' });
    expect(await counter('crewplots_write_follow_up_failures_total', { step: 'copies' })).toBe(failuresBefore + 1);
    expect(published.at(-1)).toEqual([{ kind: 'user', userId: manager.id }]);
  });
});
