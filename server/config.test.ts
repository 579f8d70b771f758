import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig } from './config.js';

describe('config', () => {
  it('runs on its embedded defaults with nothing set', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      env: 'development',
      port: 5000,
      database: { url: undefined, dataDir: '.data' },
      redis: { host: '127.0.0.1', port: 6379, prefix: 'crewplots:', url: undefined, cacheUrl: undefined },
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

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ PORT: '', DATABASE_URL: '' }).port).toBe(5000);
  });
});
