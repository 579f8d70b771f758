import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig } from './config.js';

describe('config', () => {
  it('runs on its embedded defaults with nothing set', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      env: 'development',
      port: 5000,
      database: { url: undefined, dataDir: '.data' },
      redis: {
        main: { kind: 'single', host: '127.0.0.1', port: 6379, db: 0, username: undefined, password: undefined, tls: false },
        cache: undefined,
        prefix: 'crewplots:',
      },
      session: { usingDevelopmentSecret: true },
      trustProxy: false,
      appOrigins: [],
    });
  });

  it('is frozen all the way down', () => {
    const config = loadConfig({});
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.redis)).toBe(true);
    expect(Object.isFrozen(config.session.secrets)).toBe(true);
  });

  it('coerces and parses lists', () => {
    const config = loadConfig({
      PORT: '8080',
      SESSION_SECRET: `${'a'.repeat(32)}, ${'b'.repeat(32)}`,
      APP_ORIGINS: 'https://crew.example.com/, http://localhost:5173',
      TRUST_PROXY: '1',
    });
    expect(config.port).toBe(8080);
    expect(config.session.secrets).toEqual(['a'.repeat(32), 'b'.repeat(32)]);
    expect(config.appOrigins).toEqual(['https://crew.example.com', 'http://localhost:5173']);
    expect(config.trustProxy).toBe(1);
  });

  it.each([
    [{ PORT: 'eighty' }, /PORT/],
    [{ REDIS_PORT: '70000' }, /REDIS_PORT/],
    [{ DATABASE_URL: 'mysql://x' }, /DATABASE_URL/],
    [{ REDIS_PREFIX: 'no-colon' }, /REDIS_PREFIX/],
    [{ APP_ORIGINS: 'not a url' }, /APP_ORIGINS/],
    [{ NODE_ENV: 'production' }, /SESSION_SECRET: is required/],
    [{ ADMIN_EMAIL: 'a@b.example' }, /ADMIN_PASSWORD/],
    [{ SESSION_SECRET: 'short' }, /SESSION_SECRET/],
    [{ DATABASE_URL: 'postgres://[bad' }, /DATABASE_URL: is not a valid URL/],
    [{ REDIS_URL: 'redis://localhost:notaport' }, /REDIS_URL: is not a valid URL/],
    [{ REDIS_CACHE_URL: 'redis://[x' }, /REDIS_CACHE_URL: is not a valid URL/],
    [{ TRUST_PROXY: 'banana' }, /TRUST_PROXY: "banana" is not/],
    [{ TRUST_PROXY: '10.0.0.0/33' }, /TRUST_PROXY/],
    [{ TRUST_PROXY: 'loopback, 300.1.1.1' }, /TRUST_PROXY: "300.1.1.1"/],
  ])('refuses %j, naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('takes a DATABASE_URL that names a socket folder, as node-postgres does', () => {
    expect(loadConfig({ DATABASE_URL: 'postgresql://crew@/crewplots?host=/var/run/postgresql' }).database.url).toMatch(/host=\/var\/run/);
  });

  it('reads TRUST_PROXY as Express does: booleans, hop counts, addresses, subnets and named ranges', () => {
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8, 192.168.1.0/255.255.255.0, fd00::/8, 172.17.0.1' }).trustProxy).toEqual([
      'loopback',
      '10.0.0.0/8',
      '192.168.1.0/255.255.255.0',
      'fd00::/8',
      '172.17.0.1',
    ]);
  });

  describe('Redis topologies', () => {
    it('reads one server from REDIS_URL, with credentials, database and TLS', () => {
      expect(loadConfig({ REDIS_URL: 'rediss://app:s%40cret@redis.example:6380/2' }).redis.main).toEqual({
        kind: 'single',
        host: 'redis.example',
        port: 6380,
        db: 2,
        username: 'app',
        password: 's@cret',
        tls: true,
      });
      expect(loadConfig({ REDIS_HOST: '10.0.0.5', REDIS_USERNAME: 'app', REDIS_PASSWORD: 'pw', REDIS_TLS: 'true' }).redis.main).toMatchObject({
        kind: 'single',
        host: '10.0.0.5',
        port: 6379,
        username: 'app',
        password: 'pw',
        tls: true,
      });
      expect(loadConfig({ REDIS_URL: 'redis://[::1]:7000' }).redis.main).toMatchObject({ host: '::1', port: 7000 });
    });

    it('reads a Sentinel group', () => {
      const config = loadConfig({
        REDIS_SENTINELS: 'sentinel-a:26379, 10.0.0.2:26380,[fd00::3]:26379',
        REDIS_SENTINEL_MASTER: 'crewplots',
        REDIS_SENTINEL_PASSWORD: 'sentinel-pw',
        REDIS_PASSWORD: 'pw',
      });
      expect(config.redis.main).toEqual({
        kind: 'sentinel',
        sentinels: [
          { host: 'sentinel-a', port: 26379 },
          { host: '10.0.0.2', port: 26380 },
          { host: 'fd00::3', port: 26379 },
        ],
        masterName: 'crewplots',
        sentinelPassword: 'sentinel-pw',
        username: undefined,
        password: 'pw',
        tls: false,
      });
    });

    it('reads a Cluster, and a cache connection of its own under REDIS_CACHE_', () => {
      const config = loadConfig({
        REDIS_CLUSTER_NODES: '10.0.0.1:7000,10.0.0.2:7000',
        REDIS_CACHE_SENTINELS: '10.0.1.1:26379',
        REDIS_CACHE_SENTINEL_MASTER: 'cache',
        REDIS_CACHE_USERNAME: 'cache-user',
        REDIS_CACHE_PASSWORD: 'cache-pw',
        REDIS_CACHE_TLS: 'true',
      });
      expect(config.redis.main).toMatchObject({ kind: 'cluster', nodes: [{ host: '10.0.0.1', port: 7000 }, { host: '10.0.0.2', port: 7000 }] });
      expect(config.redis.cache).toMatchObject({ kind: 'sentinel', masterName: 'cache', username: 'cache-user', password: 'cache-pw', tls: true });
      expect(loadConfig({ REDIS_CACHE_CLUSTER_NODES: 'c1:7000' }).redis.cache).toMatchObject({ kind: 'cluster' });
      expect(loadConfig({ REDIS_CACHE_URL: 'redis://cache:6379' }).redis.cache).toMatchObject({ kind: 'single', host: 'cache' });
    });

    it.each([
      [{ REDIS_SENTINELS: 'a:26379' }, /^Invalid environment: REDIS_SENTINEL_MASTER: is required with REDIS_SENTINELS/],
      [{ REDIS_SENTINEL_MASTER: 'm' }, /REDIS_SENTINELS: is required with REDIS_SENTINEL_MASTER/],
      [{ REDIS_SENTINELS: 'a:26379,b', REDIS_SENTINEL_MASTER: 'm' }, /REDIS_SENTINELS: "b" is not host:port/],
      [{ REDIS_SENTINELS: 'a:99999', REDIS_SENTINEL_MASTER: 'm' }, /REDIS_SENTINELS: "a:99999" is not host:port/],
      [{ REDIS_SENTINELS: ' , ', REDIS_SENTINEL_MASTER: 'm' }, /REDIS_SENTINELS: must be host:port/],
      [{ REDIS_SENTINELS: 'a:1', REDIS_SENTINEL_MASTER: 'has space' }, /REDIS_SENTINEL_MASTER: must be the master's name/],
      [{ REDIS_SENTINEL_PASSWORD: 'x' }, /REDIS_SENTINEL_PASSWORD: is only read with REDIS_SENTINELS/],
      [{ REDIS_CLUSTER_NODES: 'n1:7000', REDIS_URL: 'redis://x:6379' }, /REDIS_CLUSTER_NODES: set one of REDIS_URL\/HOST\/PORT, REDIS_CLUSTER_NODES/],
      [{ REDIS_CLUSTER_NODES: 'n1:7000', REDIS_SENTINELS: 's:1', REDIS_SENTINEL_MASTER: 'm' }, /REDIS_SENTINELS: set one of/],
      [{ REDIS_CLUSTER_NODES: 'n1' }, /REDIS_CLUSTER_NODES: "n1" is not host:port/],
      [{ REDIS_USERNAME: 'app' }, /REDIS_PASSWORD: is required with REDIS_USERNAME/],
      [{ REDIS_URL: 'redis://u:p@x:6379', REDIS_PASSWORD: 'q' }, /REDIS_PASSWORD: credentials are in REDIS_URL already/],
      [{ REDIS_URL: 'redis://x:6379', REDIS_TLS: 'true' }, /REDIS_TLS: REDIS_URL says redis:\/\/ \(no TLS\); use rediss:\/\//],
      [{ REDIS_URL: 'redis://x:6379/db' }, /REDIS_URL: "db" is not a database number/],
      [{ REDIS_TLS: 'maybe' }, /REDIS_TLS/],
      [{ REDIS_CACHE_PASSWORD: 'pw' }, /REDIS_CACHE_URL: REDIS_CACHE_USERNAME, REDIS_CACHE_PASSWORD and REDIS_CACHE_TLS need a target/],
      [{ REDIS_CACHE_SENTINELS: 'a:1' }, /REDIS_CACHE_SENTINEL_MASTER: is required with REDIS_CACHE_SENTINELS/],
      [{ REDIS_CACHE_CLUSTER_NODES: 'x' }, /REDIS_CACHE_CLUSTER_NODES: "x" is not host:port/],
      [{ REDIS_REPLICA_WAIT_MS: '0' }, /REDIS_REPLICA_WAIT_MS/],
    ])('refuses %j in one line naming the variable', (env, message) => {
      expect(() => loadConfig(env)).toThrow(ConfigError);
      expect(() => loadConfig(env)).toThrow(message);
      expect(() => loadConfig(env)).not.toThrow(/\n/);
    });

    it('never puts a password in the description of a connection', async () => {
      const { describeConnection } = await import('./redis/redis.topology.js');
      const described = [
        loadConfig({ REDIS_URL: 'rediss://app:hunter2-secret@x:6380' }),
        loadConfig({ REDIS_SENTINELS: 's:1', REDIS_SENTINEL_MASTER: 'm', REDIS_SENTINEL_PASSWORD: 'hunter2-secret' }),
      ].map((c) => describeConnection(c.redis.main));
      expect(described).toEqual(['x:6380 (TLS)', 'master "m" of sentinels s:1']);
    });
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ PORT: '', DATABASE_URL: '' }).port).toBe(5000);
  });
});
