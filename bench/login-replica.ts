import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RedisSessionStore } from '../server/auth/session.store.ts';
import { loadConfig } from '../server/config.ts';
import { createLogger } from '../server/logger.ts';
import { createRedisClients } from '../server/redis/redis.client.ts';
import { freePort } from '../test/support/redis-server.ts';
import { withNode } from '../test/support/redis-topology.ts';

/**
 * `npm run bench:login-replica`: what waiting for a replica (decision 021) costs the Redis side of
 * a login, side by side: a master alone (no wait), and a master with one replica (WAIT). Each
 * login is what Sessions.establish stores: the index entry, the session, then the wait. Sequential
 * logins give the latency one user sees; 32 in flight give what the server can sustain.
 */

const SEQUENTIAL = 2_000;
const CONCURRENT = 32;
const CONCURRENT_TOTAL = 8_000;

async function redisServer(parent: string, port: number, replicaOf?: number) {
  const dir = path.join(parent, String(port));
  mkdirSync(dir);
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'];
  if (replicaOf) args.push('--replicaof', '127.0.0.1', String(replicaOf));
  const child = spawn('redis-server', args, { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    try {
      await withNode(port, (c) => c.ping());
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return child;
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

async function measure(name: string, port: number) {
  const config = loadConfig({ REDIS_PORT: String(port), REDIS_PREFIX: 'crewplots-bench:', LOG_LEVEL: 'warn' });
  const logger = createLogger({ logLevel: 'warn', env: 'test' });
  const redis = createRedisClients(config, logger);
  const store = new RedisSessionStore(redis.main, config.redis.prefix, 86_400, config.redis.commandTimeoutMs, redis.replicaAck);
  await redis.main.ping();
  const replicas = await (async () => {
    await redis.replicaAck.confirm();
    return [...redis.replicaAck.replicas().values()].reduce((a, b) => a + b, 0);
  })();
  let n = 0;
  const login = () => {
    n += 1;
    const now = Date.now();
    return store.insert(`bench-${n}`, {
      userId: n % 500,
      role: 'crew',
      locationIds: [1],
      loginAt: now,
      refreshedAt: now,
      cookie: { originalMaxAge: 86_400_000, maxAge: 86_400_000 },
    } as never);
  };
  for (let i = 0; i < 200; i++) await login();

  const times: number[] = [];
  for (let i = 0; i < SEQUENTIAL; i++) {
    const started = performance.now();
    await login();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);

  const started = performance.now();
  let issued = 0;
  await Promise.all(
    Array.from({ length: CONCURRENT }, async () => {
      while (issued < CONCURRENT_TOTAL) {
        issued += 1;
        await login();
      }
    }),
  );
  const perSecond = CONCURRENT_TOTAL / ((performance.now() - started) / 1000);
  await redis.close();
  return { name, replicas, p50: quantile(times, 0.5), p95: quantile(times, 0.95), p99: quantile(times, 0.99), perSecond };
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'crewplots-bench-replica-'));
const [alonePort, masterPort, replicaPort] = [await freePort(), await freePort(), await freePort()];
const children = [await redisServer(dir, alonePort)];
try {
  const rows = [await measure('master alone (no wait)', alonePort)];
  children.push(await redisServer(dir, masterPort));
  children.push(await redisServer(dir, replicaPort, masterPort));
  for (let i = 0; i < 100; i++) {
    if (/slave0:.*state=online/.test(await withNode(masterPort, (c) => c.info('replication')))) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  rows.push(await measure('master + 1 replica (WAIT 1)', masterPort));
  const ms = (v: number) => `${v.toFixed(2)} ms`;
  console.log('| setup | replicas seen | p50 | p95 | p99 | logins/s, 32 in flight |');
  console.log('|---|---|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.name} | ${r.replicas} | ${ms(r.p50)} | ${ms(r.p95)} | ${ms(r.p99)} | ${Math.round(r.perSecond)} |`);
  const [a, b] = rows as [(typeof rows)[0], (typeof rows)[0]];
  console.log(`\nwith a replica: p50 × ${(b.p50 / a.p50).toFixed(2)}, p95 × ${(b.p95 / a.p95).toFixed(2)}, throughput × ${(b.perSecond / a.perSecond).toFixed(2)}`);
} finally {
  for (const child of children) child.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 300));
  rmSync(dir, { recursive: true, force: true });
}
