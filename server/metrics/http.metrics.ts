import type { RequestHandler } from 'express';
import { Counter, Histogram, type Registry } from 'prom-client';
import type { Redis } from 'ioredis';

/**
 * Request counts and durations by route template (`/api/users/:id`, never the raw URL, so ids do
 * not explode the label set), and the dependency errors an operator alerts on.
 */
export function createHttpMetrics(registry: Registry) {
  const registers = [registry];
  const requests = new Counter({
    name: 'crewplots_http_requests_total',
    help: 'HTTP requests by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers,
  });
  const duration = new Histogram({
    name: 'crewplots_http_request_duration_seconds',
    help: 'HTTP request duration by method and route',
    labelNames: ['method', 'route'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers,
  });
  const redisErrors = new Counter({
    name: 'crewplots_redis_errors_total',
    help: 'Redis connection errors by connection role',
    labelNames: ['connection'] as const,
    registers,
  });
  const postgresErrors = new Counter({
    name: 'crewplots_postgres_errors_total',
    help: 'Postgres errors that reached the error handler or the connection pool',
    registers,
  });

  const measure: RequestHandler = (req, res, next) => {
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      // Set by the router (route.ts) once a route matched; unmatched paths share one label.
      const route = typeof res.locals.route === 'string' ? `/api${res.locals.route}` : 'unmatched';
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      requests.inc({ method: req.method, route, status: String(res.statusCode) });
      // An event stream lasts as long as the browser stays: its lifetime is no request duration.
      if (!String(res.getHeader('content-type') ?? '').startsWith('text/event-stream')) duration.observe({ method: req.method, route }, seconds);
    });
    next();
  };

  return {
    measure,
    watchRedis(client: Redis, connection: string) {
      client.on('error', () => redisErrors.inc({ connection }));
    },
    postgresError: () => postgresErrors.inc(),
  };
}
