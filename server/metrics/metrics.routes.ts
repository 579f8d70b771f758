import { z } from 'zod';
import type { Registry } from 'prom-client';
import { defineRoute } from '../http/route.js';

export function metricsRoutes(registry: Registry) {
  return [
    defineRoute({
      method: 'get',
      path: '/metrics',
      summary: 'Prometheus metrics (admin session or METRICS_TOKEN bearer token)',
      description:
        'Prometheus text: request counts and durations by route, cache hits, misses and load times by namespace, and Redis and Postgres errors. For an admin session or the `METRICS_TOKEN` bearer token.',
      access: { kind: 'metrics' },
      produces: 'text/plain',
      success: { status: 200, schema: z.string().meta({ description: 'Prometheus text exposition format' }) },
      handler: async ({ res }) => {
        res.type(registry.contentType).send(await registry.metrics());
      },
    }),
  ];
}
