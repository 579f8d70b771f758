import type { Browser } from 'playwright-core';
import { hashPassword } from '../../../server/auth/password.js';
import { loadConfig } from '../../../server/config.js';
import { openDatabase } from '../../../server/db/client.js';
import { insertUser } from '../../support/factories.js';
import { testLogger } from '../../support/logs.js';
import { bareEnv, startServer, type ServerProcess } from '../../support/server-process.js';
import { ApiSession } from './api.js';
import { launchChromium } from './browser.js';
import { ensureClientBuilt } from './builds.js';

/** The server from source, on the suite's test database and Redis prefix, for a browser to drive. */
export async function startAppServer(): Promise<ServerProcess> {
  return startServer(
    bareEnv({
      DATABASE_URL: process.env.DATABASE_URL!,
      REDIS_PREFIX: process.env.REDIS_PREFIX!,
      ...(process.env.REDIS_HOST ? { REDIS_HOST: process.env.REDIS_HOST } : {}),
      ...(process.env.REDIS_PORT ? { REDIS_PORT: process.env.REDIS_PORT } : {}),
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
    }),
    // tsx compiles the server as it starts: on a busy machine that alone can take 20 s.
    60_000,
  );
}

export interface BrowserScenario {
  server: ServerProcess;
  browser: Browser;
  /** Signed in as the scenario's admin, to set the rest of the scene up through the API. */
  admin: ApiSession;
  close(): Promise<void>;
}

/**
 * What every browser suite starts from: the production bundle built, an admin in the database,
 * the server running, that admin signed in over the API, and Chromium open.
 */
export async function startBrowserScenario(adminEmail: string, password: string): Promise<BrowserScenario> {
  ensureClientBuilt();
  const database = await openDatabase(loadConfig(process.env), testLogger());
  await insertUser(database.db, { email: adminEmail, name: 'Ada Admin', role: 'admin', passwordHash: await hashPassword(password) });
  const server = await startAppServer();
  const admin = new ApiSession(server.url);
  await admin.login(adminEmail, password);
  const browser = await launchChromium();
  return {
    server,
    browser,
    admin,
    close: async () => {
      await browser.close();
      server.child.kill('SIGTERM');
      await server.exited;
      await database.close();
    },
  };
}
