import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { createTestApp, type TestApp } from '../../test/support/test-app.js';
import type { Redis } from 'ioredis';
import { logEntries } from '../../test/support/logs.js';
import { freePort, startPrivateRedis, type PrivateRedis } from '../../test/support/redis-server.js';
import { checkRedisConnection, createRedisHealth } from '../redis/redis.health.js';
import { testLogger } from '../../test/support/logs.js';

describe('health probes on the shared services', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('GET /api/health reports both dependencies healthy with latencies', async () => {
    const res = await request(t.app).get('/api/health').expect(200).expect('Content-Type', /application\/json/);
    expect(res.body).toEqual({
      status: 'healthy',
      checks: {
        redis: { status: 'healthy', latencyMs: expect.any(Number) },
        postgres: { status: 'healthy', latencyMs: expect.any(Number) },
      },
    });
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('GET /api/health/redis answers exactly as the integration guide', async () => {
    const res = await request(t.app).get('/api/health/redis').expect(200);
    expect(res.body).toEqual({ status: 'healthy' });
  });

  it('GET /api/health/live answers while the process serves', async () => {
    await request(t.app).get('/api/health/live').expect(200, { status: 'healthy' });
  });

  it('needs no session, and starts none', async () => {
    for (const path of ['/api/health', '/api/health/redis', '/api/health/live']) {
      const res = await request(t.app).get(path);
      expect({ path, status: res.status, healthy: res.body.status }).toEqual({ path, status: 200, healthy: 'healthy' });
      expect(res.headers['set-cookie']).toBeUndefined();
    }
  });
});

describe('health while Redis is down', () => {
  let redis: PrivateRedis;
  let t: TestApp;
  beforeAll(async () => {
    redis = await startPrivateRedis();
    t = await createTestApp({ REDIS_PORT: String(redis.port) });
    await request(t.app).get('/api/health/redis').expect(200);
  });
  afterAll(async () => {
    await t.close();
    await redis.destroy();
  });

  it('answers 503 unhealthy within 2 s, and 200 again once Redis is back, without a restart', async () => {
    await redis.stop();

    const started = Date.now();
    const down = await request(t.app).get('/api/health/redis');
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(down.status).toBe(503);
    expect(down.body).toEqual({ status: 'unhealthy' });
    expect(down.headers['content-type']).toMatch(/^application\/json/);

    const full = await request(t.app).get('/api/health').expect(503);
    expect(full.body).toEqual({
      status: 'unhealthy',
      checks: { redis: { status: 'unhealthy', latencyMs: null }, postgres: { status: 'healthy', latencyMs: expect.any(Number) } },
    });

    await redis.start();
    // The client reconnects on its own back-off (at most 2 s between attempts).
    const deadline = Date.now() + 5_000;
    let status = 0;
    while (Date.now() < deadline) {
      status = (await request(t.app).get('/api/health/redis')).status;
      if (status === 200) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe(200);
  });
});

describe('when Redis is unreachable from the start', () => {
  let t: TestApp;
  let port: number;
  beforeAll(async () => {
    port = await freePort();
    t = await createTestApp({ REDIS_PORT: String(port) });
  });
  afterAll(() => t.close());

  it('the app still serves, health says so, and the log says in one line how to start Redis', async () => {
    const res = await request(t.app).get('/api/health').expect(503);
    expect(res.body.checks).toEqual({ redis: { status: 'unhealthy', latencyMs: null }, postgres: { status: 'healthy', latencyMs: expect.any(Number) } });
    await request(t.app).get('/api/health/live').expect(200);
    const hints = logEntries().filter((e) => String(e.msg).includes(`redis-server --port ${port} --daemonize yes`));
    expect(hints).toHaveLength(1);
    expect(String(hints[0]!.msg)).not.toContain('\n');
  });
});

describe('checkRedisConnection', () => {
  const answering = (reply: Promise<string>) => ({ ping: () => reply }) as unknown as Redis;

  it('is true only for PONG', async () => {
    expect(await checkRedisConnection(answering(Promise.resolve('PONG')))).toBe(true);
    expect(await checkRedisConnection(answering(Promise.resolve('pong')))).toBe(false);
    expect(await checkRedisConnection(answering(Promise.resolve('OK')))).toBe(false);
    expect(await checkRedisConnection(answering(Promise.reject(new Error('Connection is closed.'))))).toBe(false);
  });

  it('gives up on a Redis that does not answer within its bound', async () => {
    const started = Date.now();
    expect(await checkRedisConnection(answering(new Promise<string>(() => {})), 100)).toBe(false);
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});

describe('Redis health is the ability to write', () => {
  it('a Redis that answers PING but refuses writes (a replica) is unhealthy, and the cause is logged once per change', async () => {
    let refuse: string | undefined = "READONLY You can't write against a read only replica.";
    const writes: string[] = [];
    const replica = {
      ping: async () => 'PONG',
      set: async (key: string) => {
        if (refuse) throw new Error(refuse);
        writes.push(key);
        return 'OK';
      },
    } as unknown as Redis;
    const healthy = createRedisHealth(replica, { prefix: 'crewplots-health-test:', logger: testLogger() });
    const before = logEntries().length;

    expect([await healthy(), await healthy(), await healthy()]).toEqual([false, false, false]);
    refuse = 'CLUSTERDOWN The cluster is down';
    expect(await healthy()).toBe(false);
    refuse = undefined;
    expect([await healthy(), await healthy()]).toEqual([true, true]);
    expect(writes).toEqual(['crewplots-health-test:health:write', 'crewplots-health-test:health:write']);

    const said = logEntries()
      .slice(before)
      .map((e) => `${e.msg} ${String(e.cause ?? '')}`.trim());
    expect(said).toEqual([
      "Redis is unhealthy: the server cannot write to it READONLY You can't write against a read only replica.",
      'Redis is unhealthy: the server cannot write to it CLUSTERDOWN The cluster is down',
      'Redis is healthy again: writes succeed',
    ]);
  });
});
