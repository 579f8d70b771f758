import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { ACCOUNT_PASSWORD, makeAccount } from '../support/accounts.js';
import { createApiTestApp } from '../support/api.js';
import { withNode } from '../support/redis-topology.js';
import type { TestApp } from '../support/test-app.js';
import { expectNothingAcknowledgedLost, loginsThrough, waitForHealthy } from './failover.js';

const nodes = (process.env.REDIS_CLUSTER_NODES ?? '').split(',').filter(Boolean).map((n) => Number(n.split(':')[1]));
const roleOf = (port: number) => withNode(port, async (c) => /role:(\w+)/.exec(await c.info('replication'))?.[1]);

describe('on a Redis Cluster (npm run test:topologies cluster)', () => {
  let t: TestApp;
  beforeAll(async () => {
    if (nodes.length === 0) throw new Error('needs a Cluster in REDIS_CLUSTER_NODES: run `npm run test:topologies cluster`');
    t = await createApiTestApp('cluster');
    await waitForHealthy(t);
  });
  afterAll(() => t?.close());

  it('spreads sessions and their indexes over the masters rather than one slot', async () => {
    // Sixteen sessions: that all of them land on one of three masters by chance is a 1-in-14-million event.
    const accounts = await Promise.all(Array.from({ length: 16 }, () => makeAccount(t.deps.database.db, 'crew')));
    for (const account of accounts) {
      expect((await request(t.app).post('/api/auth/login').send({ email: account.email, password: ACCOUNT_PASSWORD })).status).toBe(200);
    }
    const masters = (await Promise.all(nodes.map(async (port) => ((await roleOf(port)) === 'master' ? port : undefined)))).filter(Boolean) as number[];
    const prefix = `${process.env.REDIS_PREFIX}cluster:`;
    const holding = await Promise.all(
      masters.map((port) =>
        withNode(port, async (c) => {
          const [, keys] = await c.scan('0', 'MATCH', `${prefix}sess*`, 'COUNT', 10_000);
          return keys.length;
        }),
      ),
    );
    expect(holding.filter((n) => n > 0).length).toBeGreaterThan(1);
  });

  it('follows a master failover under logins: nothing acknowledged lost, only 200 or 503', async () => {
    const replica = (await Promise.all(nodes.map(async (port) => ((await roleOf(port)) === 'slave' ? port : undefined)))).find(Boolean)!;
    const outcomes = await loginsThrough(t, {
      failover: () => withNode(replica, (c) => c.cluster('FAILOVER')).then(() => undefined),
      done: async () => (await roleOf(replica)) === 'master',
    });
    expect(await roleOf(replica)).toBe('master');
    await waitForHealthy(t);
    await expectNothingAcknowledgedLost(t, outcomes);
    await request(t.app).get('/api/health/redis').expect(200);
  });
});
