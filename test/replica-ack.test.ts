import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { ACCOUNT_PASSWORD, makeAccount, signIn, type Account } from './support/accounts.js';
import { startPrivateRedis, type PrivateRedis } from './support/redis-server.js';
import { createTestApp, type TestApp } from './support/test-app.js';

/**
 * Decision 021: a login and a logout are acknowledged only once their writes reached the replica.
 * The replica here is frozen (SIGSTOP): still connected, so the master counts it online, but it
 * acknowledges nothing, which is what a master about to fail looks like from the app.
 */
describe('logins and logouts wait for the replica', () => {
  let master: PrivateRedis;
  let replica: PrivateRedis;
  let t: TestApp;
  let account: Account;
  beforeAll(async () => {
    master = await startPrivateRedis();
    replica = await startPrivateRedis({ extraArgs: ['--replicaof', '127.0.0.1', String(master.port)] });
    t = await createTestApp({ REDIS_PORT: String(master.port), REDIS_REPLICA_WAIT_MS: '100' });
    account = await makeAccount(t.deps.database.db, 'crew');
    for (let i = 0; i < 100 && [...t.deps.redis.replicaAck.replicas().values()][0] !== 1; i++) {
      await t.deps.redis.replicaAck.confirm().catch(() => {});
      await new Promise((r) => setTimeout(r, 100));
    }
  });
  afterAll(async () => {
    replica?.signal('SIGCONT');
    await t?.close();
    await replica?.destroy();
    await master?.destroy();
  });

  it('counts the replica, and a login with it answering is acknowledged', async () => {
    expect([...t.deps.redis.replicaAck.replicas().values()]).toEqual([1]);
    const agent = await signIn(t.app, account);
    await agent.get('/api/auth/me').expect(200);
  });

  it('answers 503 with no cookie while the replica does not acknowledge, and 200 again once it does', async () => {
    const signedIn = await signIn(t.app, account);
    replica.signal('SIGSTOP');
    try {
      const login = await request(t.app).post('/api/auth/login').send({ email: account.email, password: ACCOUNT_PASSWORD });
      expect(login.status).toBe(503);
      expect(login.headers['retry-after']).toBeDefined();
      expect(login.headers['set-cookie']).toBeUndefined();

      // A logout is a revocation: not acknowledged either, and the session is not kept alive by it.
      await signedIn.post('/api/auth/logout').expect(503);
    } finally {
      replica.signal('SIGCONT');
    }
    await signIn(t.app, account);
    const again = await signIn(t.app, account);
    await again.post('/api/auth/logout').expect(204);
    await again.get('/api/auth/me').expect(401);
  });
});
