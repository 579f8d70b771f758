import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';

/**
 * Docker cannot run on the machines that test this project, so the compose file is checked by
 * reading it: the services, their health checks, volumes, and the Redis layout that keeps
 * sessions safe from eviction (docs/decisions/002-redis-layout.md).
 */
interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  ports?: string[];
  volumes?: string[];
  restart?: string;
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[]; interval?: string; timeout?: string; retries?: number };
}

const compose = parse(readFileSync('docker-compose.yml', 'utf8')) as { services: Record<string, Service>; volumes: Record<string, unknown> };
const { redis, postgres, app } = compose.services as Record<string, Service>;
const cache = compose.services['redis-cache']!;
const argAfter = (command: string[] | undefined, flag: string) => command?.[command.indexOf(flag) + 1];

describe('docker-compose.yml', () => {
  it('runs redis as the integration guide says, with AOF on and no eviction', () => {
    expect(redis).toMatchObject({
      image: 'redis:7-alpine',
      volumes: ['redis-data:/data'],
      restart: 'unless-stopped',
      healthcheck: { test: ['CMD', 'redis-cli', 'ping'], interval: '5s', timeout: '3s', retries: 3 },
    });
    expect(argAfter(redis!.command, '--appendonly')).toBe('yes');
    expect(argAfter(redis!.command, '--maxmemory-policy')).toBe('noeviction');
  });

  it('keeps cache entries in a separate, bounded, LRU-evicted instance', () => {
    expect(cache.image).toBe('redis:7-alpine');
    expect(argAfter(cache.command, '--maxmemory-policy')).toBe('allkeys-lru');
    expect(argAfter(cache.command, '--maxmemory')).toMatch(/^\d+mb$/);
    expect(cache.healthcheck?.test).toEqual(['CMD', 'redis-cli', 'ping']);
    expect(app!.environment?.REDIS_CACHE_URL).toBe('redis://redis-cache:6379');
  });

  it('runs postgres with a pg_isready health check and a volume', () => {
    expect(postgres!.image).toMatch(/^postgres:\d+/);
    expect(postgres!.healthcheck?.test.join(' ')).toMatch(/pg_isready/);
    expect(postgres!.volumes).toEqual(['postgres-data:/var/lib/postgresql/data']);
  });

  it('builds the app, starts it after its dependencies are healthy, and probes /api/health', () => {
    expect(app!.build).toBe('.');
    expect(app!.depends_on).toEqual({
      postgres: { condition: 'service_healthy' },
      redis: { condition: 'service_healthy' },
      'redis-cache': { condition: 'service_healthy' },
    });
    expect(app!.healthcheck?.test.join(' ')).toMatch(/\/api\/health/);
    expect(app!.environment).toMatchObject({ NODE_ENV: 'production', REDIS_HOST: 'redis' });
    expect(app!.environment?.DATABASE_URL).toMatch(/@postgres:5432\//);
    // Production refuses to start without a secret; compose says so instead of inventing one.
    expect(app!.environment?.SESSION_SECRET).toMatch(/^\$\{SESSION_SECRET:\?/);
  });

  it('publishes the app to the network, and Redis (which holds the sessions) to this machine only', () => {
    expect(app!.ports).toEqual(['5000:5000']);
    expect(redis!.ports).toEqual(['127.0.0.1:6379:6379']);
    expect(cache.ports).toBeUndefined();
    expect(postgres!.ports).toBeUndefined();
  });

  it('declares every named volume it mounts', () => {
    expect(Object.keys(compose.volumes).sort()).toEqual(['postgres-data', 'redis-data']);
  });

  it('passes the app only variables the README documents', () => {
    const readme = readFileSync('README.md', 'utf8');
    for (const name of Object.keys(app!.environment ?? {})) {
      expect(readme).toContain(`\`${name}\``);
    }
  });
});

describe('Dockerfile', () => {
  const dockerfile = readFileSync('Dockerfile', 'utf8');
  it('builds with npm ci, runs the compiled server as a non-root user, in exec form', () => {
    expect(dockerfile).toMatch(/RUN npm ci\b/);
    expect(dockerfile).toMatch(/RUN npm run build/);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^CMD \["node", "dist\/server\/index\.js"\]$/m);
    expect(dockerfile).toMatch(/COPY migrations/);
  });
});
