import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createApiTestApp } from '../support/api.js';
import { sentinelOf, withNode } from '../support/redis-topology.js';
import type { TestApp } from '../support/test-app.js';
import { expectNothingAcknowledgedLost, loginsThrough, waitForHealthy } from './failover.js';

const sentinel = sentinelOf(process.env);

const masterAddress = () =>
  withNode(sentinel!.port, async (c) => ((await c.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', sentinel!.masterName)) as string[]).join(':'));

describe('a Sentinel failover under logins (npm run test:topologies sentinel)', () => {
  let t: TestApp;
  beforeAll(async () => {
    if (!sentinel) throw new Error('needs a Sentinel group in REDIS_SENTINELS: run `npm run test:topologies sentinel`');
    t = await createApiTestApp('sentinel-failover');
    await waitForHealthy(t);
  });
  afterAll(() => t?.close());

  it('loses no acknowledged session, answers only 200 or 503, and recovers without a restart', async () => {
    const before = await masterAddress();
    const outcomes = await loginsThrough(t, {
      failover: () => withNode(sentinel!.port, (c) => c.call('SENTINEL', 'FAILOVER', sentinel!.masterName)).then(() => undefined),
      done: async () => (await masterAddress()) !== before,
    });
    expect(await masterAddress()).not.toBe(before);
    await waitForHealthy(t);
    await expectNothingAcknowledgedLost(t, outcomes);
  });
});
