import { describe, expect, it } from '@jest/globals';
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
