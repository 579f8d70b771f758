import { z } from 'zod';
import { PUBLIC, Reply, defineRoute } from '../http/route.js';
import type { HealthService } from './health.service.js';

const Status = z.enum(['healthy', 'unhealthy']);
const Check = z.strictObject({ status: Status, latencyMs: z.number().nullable() });
export const HealthReport = z
  .strictObject({ status: Status, checks: z.strictObject({ redis: Check, postgres: Check }) })
  .meta({ id: 'HealthReport' });
export const HealthStatus = z.strictObject({ status: Status }).meta({ id: 'HealthStatus' });

/**
 * Probes for load balancers and Docker. Plain JSON (not problem+json) in both states, so a probe
 * reads one shape; never cached by anything in between.
 */
export function healthRoutes(health: HealthService) {
  const answer = (healthy: boolean, body: unknown, res: { setHeader(name: string, value: string): void }) => {
    res.setHeader('Cache-Control', 'no-store');
    return new Reply(healthy ? 200 : 503, body);
  };
  return [
    defineRoute({
      method: 'get',
      path: '/health/live',
      summary: 'Liveness: 200 while the process serves requests',
      description:
        'Answers 200 while the process serves requests, without asking Redis or Postgres, so an outage of either never fails a liveness probe. Only a server that is shutting down answers otherwise (a 503 problem).',
      access: PUBLIC,
      success: { status: 200, schema: HealthStatus },
      handler: async ({ res }) => answer(true, { status: 'healthy' }, res),
    }),
    defineRoute({
      method: 'get',
      path: '/health/redis',
      summary: 'Redis answers PING with PONG and takes writes (503 otherwise)',
      description:
        'Sends PING to the Redis that holds sessions, then a write: 200 when both succeed in time, 503 with `unhealthy` when they do not (Redis down, a replica that refuses writes, a cluster that is down). Never cached.',
      access: PUBLIC,
      success: { status: 200, schema: HealthStatus, degraded: 'Redis did not answer PING with PONG, or refused a write, in time' },
      handler: async ({ res }) => {
        const healthy = await health.redisHealthy();
        return answer(healthy, { status: healthy ? 'healthy' : 'unhealthy' }, res);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/health',
      summary: 'Redis and Postgres checks with latencies (503 if either is down)',
      description:
        'Checks Redis and Postgres and reports each with its latency: 200 when both are healthy, 503 with the same report when either is not (its `latencyMs` is then null). Never cached.',
      access: PUBLIC,
      success: { status: 200, schema: HealthReport, degraded: 'Redis or Postgres is down' },
      handler: async ({ res }) => {
        const report = await health.report();
        return answer(report.status === 'healthy', report, res);
      },
    }),
  ];
}
