import type { Redis } from 'ioredis';
import type { DatabaseHandle } from '../db/client.js';
import type { Logger } from '../logger.js';
import { createRedisHealth } from '../redis/redis.health.js';

export type HealthStatus = 'healthy' | 'unhealthy';

export interface Check {
  status: HealthStatus;
  latencyMs: number | null;
}

export interface HealthReport {
  status: HealthStatus;
  checks: { redis: Check; postgres: Check };
}

const POSTGRES_CHECK_TIMEOUT_MS = 1_500;

async function timed(probe: () => Promise<boolean>): Promise<Check> {
  const started = performance.now();
  const ok = await probe();
  return ok
    ? { status: 'healthy', latencyMs: Math.round((performance.now() - started) * 10) / 10 }
    : { status: 'unhealthy', latencyMs: null };
}

function withTimeout(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  return Promise.race([promise.then(() => true, () => false), timeout]).finally(() => clearTimeout(timer));
}

export function createHealthService(deps: { redis: Redis; prefix: string; logger: Logger; database: DatabaseHandle; draining?: () => boolean }) {
  const redisHealthy = createRedisHealth(deps.redis, { prefix: deps.prefix, logger: deps.logger.child({ component: 'health' }) });
  return {
    redisHealthy,

    async report(): Promise<HealthReport> {
      const [redis, postgres] = await Promise.all([
        timed(redisHealthy),
        timed(() => withTimeout(deps.database.ping(), POSTGRES_CHECK_TIMEOUT_MS)),
      ]);
      // Readiness: an instance that is shutting down is not ready, whatever its dependencies say.
      const ready = redis.status === 'healthy' && postgres.status === 'healthy' && !deps.draining?.();
      const status = ready ? 'healthy' : 'unhealthy';
      return { status, checks: { redis, postgres } };
    },
  };
}

export type HealthService = ReturnType<typeof createHealthService>;
