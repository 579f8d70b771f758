import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { expectProblem } from '../../test/support/api.js';
import { createTestApp, type TestApp } from '../../test/support/test-app.js';
import { createMetrics } from './metrics.js';

describe('metrics', () => {
  it('gives each app a registry of its own, so two apps in one process do not collide', async () => {
    const first = createMetrics({ processMetrics: false });
    const second = createMetrics({ processMetrics: false });
    first.cache.hits.inc({ namespace: 'user' });

    expect(await first.registry.metrics()).toContain('crewplots_cache_hits_total{namespace="user"} 1');
    expect(await second.registry.metrics()).not.toContain('namespace="user"');
  });

  it('adds the process metrics unless asked not to', async () => {
    expect(await createMetrics().registry.metrics()).toContain('process_cpu_user_seconds_total');
    expect(await createMetrics({ processMetrics: false }).registry.metrics()).not.toContain('process_cpu_user_seconds_total');
  });

  it('describes the cache breaker as a gauge starting closed', async () => {
    const { cache, registry } = createMetrics({ processMetrics: false });
    cache.breakerState.set(0);
    expect(await registry.metrics()).toMatch(/# TYPE crewplots_cache_breaker_state gauge\ncrewplots_cache_breaker_state 0/);
  });
});

describe('GET /api/metrics with METRICS_TOKEN set', () => {
  const token = 'scrape-token-0123456789abcdef';
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ METRICS_TOKEN: token });
  });
  afterAll(() => t.close());

  it('a scraper presenting the token as a bearer gets the metrics, without a session', async () => {
    const res = await request(t.app).get('/api/metrics').set('Authorization', `Bearer ${token}`).expect(200);
    expect(res.text).toContain('crewplots_cache_breaker_state');
  });

  it.each([
    ['a wrong token', `Bearer ${token}x`],
    ['a prefix of it', `Bearer ${token.slice(0, 20)}`],
    ['another scheme', `Basic ${Buffer.from(`metrics:${token}`).toString('base64')}`],
    ['an empty bearer', 'Bearer '],
  ])('%s is a 401', async (_what, authorization) => {
    expectProblem(await request(t.app).get('/api/metrics').set('Authorization', authorization), 401, 'unauthenticated');
  });
});
