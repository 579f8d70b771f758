import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { createTestApp, type TestApp } from '../../test/support/test-app.js';
import { startPrivateRedis, type PrivateRedis } from '../../test/support/redis-server.js';

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

  it('needs no session', async () => {
    const res = await request(t.app).get('/api/health');
    expect(res.headers['set-cookie']).toBeUndefined();
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
