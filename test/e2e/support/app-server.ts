import { freePort } from '../../support/redis-server.js';
import { bareEnv, startServer, type ServerProcess } from '../../support/server-process.js';

/** The server from source, on the suite's test database and Redis prefix, for a browser to drive. */
export async function startAppServer(): Promise<ServerProcess> {
  return startServer(
    bareEnv({
      PORT: String(await freePort()),
      DATABASE_URL: process.env.DATABASE_URL!,
      REDIS_PREFIX: process.env.REDIS_PREFIX!,
      ...(process.env.REDIS_HOST ? { REDIS_HOST: process.env.REDIS_HOST } : {}),
      ...(process.env.REDIS_PORT ? { REDIS_PORT: process.env.REDIS_PORT } : {}),
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
    }),
  );
}

/** Stops a server started by startAppServer and waits for it to exit. */
export async function stopAppServer(server: ServerProcess | undefined): Promise<void> {
  if (!server) return;
  server.child.kill('SIGTERM');
  await server.exited;
}
