import type { Express } from 'express';
import { createApp } from '../../server/app.js';
import { loadConfig } from '../../server/config.js';
import { openRuntime, type Runtime } from '../../server/runtime.js';
import { testLogger } from './logs.js';

export interface TestApp {
  app: Express;
  deps: Runtime;
  close(): Promise<void>;
}

/**
 * The real app on the real services, configured from the test environment (global setup) plus
 * any overrides, e.g. `{ REDIS_PORT: '6390' }` to point it at a Redis the test controls.
 */
export async function createTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const config = loadConfig({ ...process.env, ...env });
  const runtime = await openRuntime(config, testLogger(), { processMetrics: false });
  await runtime.cache.ready;
  return { app: createApp(runtime), deps: runtime, close: () => runtime.close() };
}
