import { spawn } from 'node:child_process';
import { Redis } from 'ioredis';
import { startCluster, startSentinelGroup, withNode, type RedisTopologyHandle } from '../support/redis-topology.ts';

/**
 * `npm run test:topologies [sentinel|cluster]`: starts a Sentinel group (1 master, 2 replicas,
 * 3 sentinels) and a Cluster (3 masters, 3 replicas) from the machine's redis-server, one after the
 * other, and runs against each the suites that exercise Redis, with the REDIS_* variables that
 * point the app at it, plus that topology's failover tests. Single Redis stays `npm test`'s.
 * Everything started here is stopped here, also on Ctrl-C.
 *
 *   npm run test:topologies                      # both, every suite
 *   npm run test:topologies sentinel test/topologies/sentinel-failover.test.ts
 */

/**
 * Run one after the other: a failover test must not pull the topology from under the suites.
 * Each step is a jest run over files, optionally narrowed to tests whose names match.
 */
interface Step {
  files: string[];
  names?: string;
}
const SUITES: Step[] = [
  // Sessions and their revocation, the cache (its Redis-side suites and through the API), health,
  // live updates.
  {
    files: [
      'server/auth/sessions.test.ts',
      'server/cache/cache.test.ts',
      'server/cache/cache.race.test.ts',
      'server/cache/cache.stampede.test.ts',
      'test/cache-aside.test.ts',
      'server/health/health.test.ts',
      // Live updates: the sequence, replay streams and the subscription every instance shares
      // (the outage suite is left out: it points the app at a private single Redis it stops).
      'server/live/live.test.ts',
      'server/live/live.streams.test.ts',
    ],
  },
  // Rate limits (the rest of that file is about a private single Redis).
  { files: ['test/sessions-durability.test.ts'], names: 'login rate limit' },
];

const TOPOLOGIES: Record<string, { start(): Promise<RedisTopologyHandle>; tests: string[] }> = {
  sentinel: { start: () => startSentinelGroup(), tests: ['test/topologies/sentinel-failover.test.ts'] },
  cluster: { start: () => startCluster(), tests: ['test/topologies/cluster.test.ts'] },
};

let current: RedisTopologyHandle | undefined;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    void (current?.stop() ?? Promise.resolve()).finally(() => process.exit(130));
  });
}

/**
 * One worker: the topology's own processes share the machine with the suites. A longer timeout
 * than `npm test`'s for the same reason (the suites' own assertions are unchanged).
 */
function jest(env: NodeJS.ProcessEnv, step: Step): Promise<number> {
  const names = step.names ? ['--testNamePattern', step.names] : [];
  return new Promise((resolve) => {
    const child = spawn('node_modules/.bin/jest', ['--testPathIgnorePatterns', '/node_modules/', '--maxWorkers', '1', '--testTimeout', '120000', ...names, '--runTestsByPath', ...step.files], {
      stdio: 'inherit',
      env: { ...env, NODE_OPTIONS: '--experimental-vm-modules --disable-warning=ExperimentalWarning' },
    });
    child.on('exit', (code) => resolve(code ?? 1));
  });
}

/** The hygiene check of global teardown, on the topology's own nodes: every key has a TTL. */
async function keysWithoutTtl(topology: RedisTopologyHandle): Promise<string[]> {
  const forever: string[] = [];
  for (const node of topology.nodes) {
    await withNode(node.port, async (client: Redis) => {
      if (/role:slave/.test(await client.info('replication'))) return;
      let cursor = '0';
      do {
        const [next, keys] = await client.scan(cursor, 'MATCH', 'crewplots-test-*', 'COUNT', 500);
        cursor = next;
        for (const key of keys) if ((await client.pttl(key)) === -1) forever.push(key);
      } while (cursor !== '0');
    });
  }
  return forever;
}

// Arguments: topologies to run (default: all), and test files to run instead of all of them.
const args = process.argv.slice(2);
const files = args.filter((a) => a.endsWith('.ts'));
const chosen = args.filter((a) => !a.endsWith('.ts'));
const names = chosen.length > 0 ? chosen : Object.keys(TOPOLOGIES);
const failed: string[] = [];
for (const name of names) {
  const topology = TOPOLOGIES[name];
  if (!topology) {
    console.error(`unknown topology "${name}": one of ${Object.keys(TOPOLOGIES).join(', ')}`);
    process.exit(2);
  }
  process.stdout.write(`\n== ${name}: starting\n`);
  current = await topology.start();
  try {
    process.stdout.write(`== ${name}: ${Object.entries(current.env).map(([k, v]) => `${k}=${v}`).join(' ')}\n`);
    const steps = files.length > 0 ? [{ files }] : [...SUITES, { files: topology.tests }];
    let ok = true;
    for (const step of steps) {
      process.stdout.write(`== ${name}: ${step.files.join(' ')}${step.names ? ` (tests named "${step.names}")` : ''}\n`);
      // The topology's own processes share the machine with the suites: a replica short of CPU
      // may take longer than the production default to acknowledge a login (decision 021).
      const env = { REDIS_REPLICA_WAIT_MS: '1000', ...process.env, ...current.env };
      if ((await jest(env, step)) !== 0) ok = false;
    }
    const forever = await keysWithoutTtl(current);
    if (forever.length > 0) console.error(`== ${name}: keys without a TTL: ${forever.slice(0, 20).join(', ')}`);
    if (!ok || forever.length > 0) failed.push(name);
  } finally {
    await current.stop();
    current = undefined;
  }
}
if (failed.length > 0) {
  console.error(`\n== topologies failed: ${failed.join(', ')}`);
  process.exit(1);
}
process.stdout.write(`\n== topologies passed: ${names.join(', ')}\n`);
