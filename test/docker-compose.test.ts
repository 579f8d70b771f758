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

  it('copies the install-time ioredis patch before each npm ci (decision 037)', () => {
    const stages = dockerfile.split(/^FROM /m).slice(1);
    expect(stages).toHaveLength(2);
    for (const stage of stages) {
      const copied = stage.indexOf('COPY scripts/patch-ioredis.mjs ./scripts/');
      expect(copied).toBeGreaterThan(-1);
      expect(copied).toBeLessThan(stage.indexOf('RUN npm ci'));
    }
  });
});

describe('deploy/docker-compose.ha.yml: three instances behind HAProxy, Redis under Sentinel', () => {
  interface HaService extends Service {
    command?: string[];
    stop_grace_period?: string;
  }
  // Docker Compose reads YAML merge keys (`<<: *app`); so does this parse.
  const ha = parse(readFileSync('deploy/docker-compose.ha.yml', 'utf8'), { merge: true }) as {
    services: Record<string, HaService>;
    volumes: Record<string, unknown>;
  };
  const s = ha.services;
  const cfg = readFileSync('deploy/haproxy.cfg', 'utf8');
  const apps = ['app1', 'app2', 'app3'];
  const sentinels = ['sentinel-1', 'sentinel-2', 'sentinel-3'];
  const seconds = (duration: string) => Number(/^(\d+)s$/.exec(duration)?.[1] ?? NaN);
  /** The lines of one section of the HAProxy config (a section runs to the next unindented line). */
  const backend = (name: string) => cfg.split(/\n(?=\S)/).find((section) => section.startsWith(`backend ${name}\n`)) ?? '';

  it('runs one Redis master, two replicas of it, three sentinels, a cache Redis, Postgres, three instances and HAProxy', () => {
    expect(Object.keys(s).sort()).toEqual(
      ['haproxy', 'postgres', 'redis-cache', 'redis-master', 'redis-replica-1', 'redis-replica-2', ...apps, ...sentinels].sort(),
    );
    for (const name of ['redis-master', 'redis-replica-1', 'redis-replica-2']) {
      // Sessions: persisted and never evicted, on whichever becomes master.
      expect(argAfter(s[name]!.command, '--appendonly')).toBe('yes');
      expect(argAfter(s[name]!.command, '--maxmemory-policy')).toBe('noeviction');
      // Sentinel hands out names, which survive a container's new address.
      expect(argAfter(s[name]!.command, '--replica-announce-ip')).toBe(name);
      expect(s[name]!.healthcheck?.test).toEqual(['CMD', 'redis-cli', 'ping']);
      expect(s[name]!.volumes).toEqual([`${name}-data:/data`]);
    }
    expect(s['redis-master']!.command).not.toContain('--replicaof');
    for (const name of ['redis-replica-1', 'redis-replica-2']) {
      expect(s[name]!.command!.slice(s[name]!.command!.indexOf('--replicaof'), s[name]!.command!.indexOf('--replicaof') + 3)).toEqual(['--replicaof', 'redis-master', '6379']);
      expect(s[name]!.depends_on).toEqual({ 'redis-master': { condition: 'service_healthy' } });
    }
    expect(argAfter(s['redis-cache']!.command, '--maxmemory-policy')).toBe('allkeys-lru');
  });

  it('has each sentinel watch the master with a quorum of two, announce its own name, and answer a health check', () => {
    for (const name of sentinels) {
      const script = s[name]!.command!.join(' ');
      expect(script).toMatch(/sentinel monitor crewplots redis-master 6379 2\n/);
      expect(script).toMatch(/sentinel down-after-milliseconds crewplots \d+\n/);
      expect(script).toMatch(/sentinel resolve-hostnames yes\n/);
      expect(script).toMatch(/sentinel announce-ip \$\$SENTINEL_NAME\n/);
      expect(script).toMatch(/exec redis-server \/data\/sentinel\.conf --sentinel/);
      expect(s[name]!.environment).toEqual({ SENTINEL_NAME: name });
      expect(s[name]!.healthcheck?.test).toEqual(['CMD', 'redis-cli', '-p', '26379', 'ping']);
      expect(s[name]!.depends_on).toEqual({ 'redis-master': { condition: 'service_healthy' } });
    }
  });

  it('wires every instance to the sentinels, the cache, Postgres and the balancer, and starts it once they are healthy', () => {
    for (const name of apps) {
      const app = s[name]!;
      expect(app.build).toBe('..');
      const env = app.environment!;
      expect(env.REDIS_SENTINELS!.split(',')).toEqual(sentinels.map((n) => `${n}:26379`));
      expect(env.REDIS_SENTINEL_MASTER).toBe('crewplots');
      expect(env.REDIS_URL ?? env.REDIS_HOST).toBeUndefined();
      expect(env.REDIS_CACHE_URL).toBe('redis://redis-cache:6379');
      expect(env.DATABASE_URL).toMatch(/@postgres:5432\//);
      expect(env.NODE_ENV).toBe('production');
      expect(env.SESSION_SECRET).toMatch(/^\$\{SESSION_SECRET:\?/);
      expect(env.TRUST_PROXY).toBe('1');
      expect(app.depends_on).toEqual({
        postgres: { condition: 'service_healthy' },
        'redis-cache': { condition: 'service_healthy' },
        ...Object.fromEntries(sentinels.map((n) => [n, { condition: 'service_healthy' }])),
      });
      // Liveness for Docker; readiness is the balancer's check.
      expect(app.healthcheck?.test.join(' ')).toMatch(/\/api\/health\/live'/);
      // Instances are reached through the balancer only.
      expect(app.ports).toBeUndefined();
    }
  });

  it('gives an instance time to leave the balancer before its listener closes, and to drain before Docker kills it', () => {
    const check = /default-server inter (\d+)s fastinter \S+ fall (\d+)/.exec(backend('app'))!;
    const detectMs = Number(check[1]) * 1000 * Number(check[2]);
    for (const name of apps) {
      const delay = Number(s[name]!.environment!.SHUTDOWN_DELAY_MS);
      expect(delay).toBeGreaterThan(detectMs);
      // The delay, then up to 10 s of drain and 5 s of closing (server/index.ts).
      expect(seconds(s[name]!.stop_grace_period!) * 1000).toBeGreaterThanOrEqual(delay + 15_000);
    }
  });

  it('publishes HAProxy, with the shipped config, started once the instances are alive', () => {
    const proxy = s.haproxy!;
    expect(proxy.image).toMatch(/^haproxy:2\.6/);
    expect(proxy.volumes).toEqual(['./haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro']);
    const bindPort = /^\s+bind :(\d+)$/m.exec(cfg)![1];
    expect(proxy.ports).toEqual([`5000:${bindPort}`]);
    expect(proxy.depends_on).toEqual(Object.fromEntries(apps.map((n) => [n, { condition: 'service_healthy' }])));
    for (const name of ['app', 'app_live']) {
      const servers = [...backend(name).matchAll(/^\s+server (\S+) (\S+) check$/gm)].map((m) => `${m[1]} ${m[2]}`);
      expect(servers).toEqual(apps.map((n) => `${n} ${n}:${s[n]!.environment!.PORT}`));
    }
  });

  it('checks readiness for routing and liveness for the fallback, and retries only what is safe', () => {
    expect(backend('app')).toMatch(/http-check send meth GET uri \/api\/health ver/);
    expect(backend('app_live')).toMatch(/http-check send meth GET uri \/api\/health\/live ver/);
    expect(cfg).toMatch(/use_backend app_live if \{ nbsrv\(app\) eq 0 \}/);
    for (const name of ['app', 'app_live']) {
      expect(backend(name)).toMatch(/retry-on conn-failure empty-response/);
      expect(backend(name)).toMatch(/http-request disable-l7-retry unless \{ method GET HEAD \}/);
      expect(backend(name)).toMatch(/option redispatch/);
    }
    expect(backend('app')).toMatch(/retry-on conn-failure empty-response 503\n/);
    // Server-Sent Events: no compression (which buffers), and streams may outlive the HTTP timeouts.
    expect(cfg).not.toMatch(/^\s*compression /m);
    expect(cfg).toMatch(/timeout tunnel 1h/);
  });

  it('declares every named volume it mounts, and passes the instances only variables the README documents', () => {
    const mounted = Object.values(s).flatMap((svc) => (svc.volumes ?? []).map((v) => v.split(':')[0]!)).filter((v) => !v.startsWith('.'));
    expect(Object.keys(ha.volumes).sort()).toEqual([...new Set(mounted)].sort());
    const readme = readFileSync('README.md', 'utf8');
    for (const name of Object.keys(s.app1!.environment ?? {})) expect(readme).toContain(`\`${name}\``);
  });
});
