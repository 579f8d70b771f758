import { ConfigError, loadConfig, type Config } from './config.js';
import { createLogger, type Logger } from './logger.js';
import { runMigrations } from './db/migrate.js';
import { openRuntime, type Runtime } from './runtime.js';
import { bootstrapAdmin } from './users/users.bootstrap.js';
import { announceSetup } from './accounts/setup.announce.js';
import { seedDemoIfEmpty } from './db/seed.js';
import { createApp } from './app.js';
import { Connections } from './http/connections.js';
import { createAppServer } from './http/server.js';
import { startupFailure } from './startup-error.js';
import { InFlight } from './http/in-flight.js';
import { createNotificationsRepository } from './notifications/notifications.repository.js';
import { createSweeper } from './notifications/notifications.sweep.js';
import { setV8Flags } from './v8-flags.js';
import { createShiftRequestsRepository } from './shift-requests/shift-requests.repository.js';

/** How long in-flight requests get to finish after SIGTERM before their sockets are cut. */
const DRAIN_TIMEOUT_MS = 10_000;
/** How long closing Redis and Postgres may take after that. */
const CLOSE_TIMEOUT_MS = 5_000;

function readConfig(): Config {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}

async function main(): Promise<void> {
  setV8Flags();
  const config = readConfig();
  const logger = createLogger(config);
  if (config.session.usingDevelopmentSecret) {
    logger.warn('SESSION_SECRET is not set: using the development secret (never do this in production)');
  }

  const runtime = await openRuntime(config, logger);
  const { database } = runtime;
  await runMigrations(database, logger);
  // Demo first: SEED_DEMO only ever fills a database with no users, and the demo has its own admin.
  if (config.seedDemo) await seedDemoIfEmpty(database.db, logger);
  await bootstrapAdmin(database.db, config, logger);

  const inFlight = new InFlight();
  const shutdown = { draining: false };
  const app = createApp(runtime, { inFlight, draining: () => shutdown.draining });
  const server = createAppServer(app).listen(config.port);
  const connections = new Connections(server);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  logger.info({ port }, `Crew Plots Pro listening on http://localhost:${port}`);

  // Old notifications and expired shift requests are tidied by every instance, safely side by side.
  const sweeper = createSweeper(
    { notifications: createNotificationsRepository(database.db), settleRequests: () => createShiftRequestsRepository(database.db).settle() },
    logger,
  );
  sweeper.start();
  installShutdown(connections, inFlight, shutdown, config.shutdownDelayMs, {
    ...runtime,
    close: async () => {
      sweeper.stop();
      await runtime.close();
    },
  });
  // After the signal handlers: a SIGTERM that comes right after "listening" must find them there.
  await announceSetup(database.db, logger, port).catch((err: unknown) => {
    if (!shutdown.draining) logger.error({ err }, 'could not make the setup link; restart the server to get one');
  });
}

function installShutdown(
  connections: Connections,
  inFlight: InFlight,
  shutdown: { draining: boolean },
  delayMs: number,
  deps: Pick<Runtime, 'logger' | 'close' | 'live'>,
): void {
  const stop = async (signal: NodeJS.Signals) => {
    if (shutdown.draining) return;
    shutdown.draining = true;
    // A balancer only stops sending requests once its health check has failed: until then the
    // listener stays open and serves them, while readiness (GET /api/health) answers 503.
    if (delayMs > 0) {
      deps.logger.info({ signal, delayMs }, 'shutting down: readiness now answers 503; still serving until the balancer has moved away');
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
    deps.logger.info({ signal }, 'shutting down: no new connections, draining in-flight requests');
    // Event streams never finish by themselves: end them with a hint to reconnect (to another instance).
    deps.live.endStreams();
    const closed = connections.close();
    const forced = setTimeout(() => {
      deps.logger.warn('drain timed out: closing the remaining connections');
      connections.closeAll();
    }, DRAIN_TIMEOUT_MS);
    forced.unref();
    // Whatever still holds a connection (a query that never returns) does not keep the process.
    const abandon = setTimeout(() => {
      deps.logger.error('shutdown did not finish in time: exiting without a clean close');
      deps.logger.flush();
      process.exit(1);
    }, DRAIN_TIMEOUT_MS + CLOSE_TIMEOUT_MS);
    abandon.unref();
    await closed;
    // A handler whose client went away holds no socket but may still be writing: let it finish
    // (within the drain timeout), or its next query would meet a closed pool. One that has not
    // started yet is refused.
    if (inFlight.size > 0) deps.logger.info({ handlers: inFlight.size }, 'waiting for handlers of departed clients');
    await inFlight.drain();
    clearTimeout(forced);
    await deps.close();
    clearTimeout(abandon);
    deps.logger.info('shut down cleanly');
    deps.logger.flush();
    process.exit(0);
  };
  process.on('SIGTERM', (s) => void stop(s));
  process.on('SIGINT', (s) => void stop(s));
}

main().catch((err: unknown) => {
  process.stderr.write(`${startupFailure(err, 'Crew Plots Pro failed to start: ')}\n`);
  process.exit(1);
});
