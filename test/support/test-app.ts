import type { Express } from 'express';
import { createApp } from '../../server/app.js';
import { loadConfig } from '../../server/config.js';
import { openRuntime, type Runtime, type RuntimeOptions } from '../../server/runtime.js';
import { testLogger } from './logs.js';

export interface TestApp {
  app: Express;
  deps: Runtime;
  close(): Promise<void>;
}

/** What points the app at a Sentinel group or a Cluster (set by `npm run test:topologies`). */
const TOPOLOGY_VARIABLES = ['REDIS_SENTINELS', 'REDIS_SENTINEL_MASTER', 'REDIS_SENTINEL_PASSWORD', 'REDIS_CLUSTER_NODES'];

/**
 * The environment of the run plus overrides. An override that names one Redis (a private server
 * a test stops or fills) replaces the topology the run is pointed at, whatever it is.
 */
export function testEnvironment(env: Record<string, string> = {}): NodeJS.ProcessEnv {
  const base = { ...process.env };
  if (env.REDIS_PORT !== undefined || env.REDIS_URL !== undefined || env.REDIS_HOST !== undefined) {
    for (const name of TOPOLOGY_VARIABLES) delete base[name];
  }
  return { ...base, ...env };
}

/**
 * The real app on the real services, configured from the test environment (global setup) plus
 * any overrides, e.g. `{ REDIS_PORT: '6390' }` to point it at a Redis the test controls.
 */
export async function createTestApp(env: Record<string, string> = {}, options: Pick<RuntimeOptions, 'cacheTimings'> = {}): Promise<TestApp> {
  const config = loadConfig(testEnvironment(env));
  const runtime = await openRuntime(config, testLogger(), { ...options, processMetrics: false });
  await runtime.cache.ready;
  return { app: createApp(runtime), deps: runtime, close: () => runtime.close() };
}
