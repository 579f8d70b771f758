import { z } from 'zod';
import type { Registry } from 'prom-client';
import { defineRoute } from '../http/route.js';

export function metricsRoutes(registry: Registry) {
  return [
    defineRoute({
      method: 'get',
      path: '/metrics',
      summary: 'Prometheus metrics (admin session or METRICS_TOKEN bearer token)',
      access: { kind: 'metrics' },
      success: { status: 200, schema: z.string().meta({ description: 'Prometheus text exposition format' }) },
      handler: async ({ res }) => {
        res.type(registry.contentType).send(await registry.metrics());
      },
    }),
  ];
}
