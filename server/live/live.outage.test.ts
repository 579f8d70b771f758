import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestApp, type TestApp } from '../../test/support/test-app.js';
import { ACCOUNT_PASSWORD, makeAccount } from '../../test/support/accounts.js';
import { insertLocation, uniqueMonday } from '../../test/support/factories.js';
import { logEntries } from '../../test/support/logs.js';
import { startPrivateRedis, type PrivateRedis } from '../../test/support/redis-server.js';
import { listen, loginCookie, openEvents } from '../../test/support/sse.js';

/** The instance's subscription on a Redis of this test's own, whose connections it can cut. */
let redis: PrivateRedis;
let t: TestApp;
let url: string;
let closeServer: () => Promise<void>;

beforeAll(async () => {
  redis = await startPrivateRedis();
  t = await createTestApp({ REDIS_HOST: '127.0.0.1', REDIS_PORT: String(redis.port) });
  const listening = await listen(t.app);
  url = listening.url;
  closeServer = listening.close;
  while (!t.deps.live.hub.accepting) await new Promise((r) => setTimeout(r, 20));
});

afterAll(async () => {
  await closeServer?.();
  await t?.close();
  await redis?.destroy();
});

describe('a lost subscription', () => {
  it('resets the open streams when batches were numbered while it was down, then delivers again', async () => {
    const location = (await insertLocation(t.deps.database.db)).id;
    const crew = await makeAccount(t.deps.database.db, 'crew', [location]);
    const stream = await openEvents(url, await loginCookie(t.app, crew.email, ACCOUNT_PASSWORD));
    await stream.next(() => false, 200).catch(() => undefined);
    const idBefore = stream.lastId;

    // Cut the subscriber's connection and number a batch in the same breath: it reconnects only
    // after its retry delay, so the number is taken while nobody on this instance listens.
    const results = await t.deps.redis.main.pipeline().call('CLIENT', 'KILL', 'TYPE', 'pubsub').incr(t.deps.live.keys.seq).exec();
    // Two: this subscription and the cache's epoch subscription.
    expect(results?.[0]?.[1]).toBe(2);

    const reset = await stream.next((e) => e.event === 'reset');
    expect(reset.id).not.toBe(idBefore);
    expect(logEntries().some((e) => /live subscription was down/.test(String(e.msg)))).toBe(true);

    const week = { id: 1, locationId: location, weekStart: uniqueMonday(), status: 'published' as const, version: 1 };
    await t.deps.live.publisher.publish([{ kind: 'schedule', schedule: week, previousStatus: null }]);
    const event = await stream.next((e) => e.event === 'schedule');
    expect(event.data).toMatchObject({ id: 1, locationId: location });
    stream.close();
  });
});
