import { randomUUID } from 'node:crypto';
import express, { type Express } from 'express';
import helmet from 'helmet';
import { pinoHttp } from 'pino-http';
import type { Config } from './config.js';
import type { DatabaseHandle } from './db/client.js';
import type { Logger } from './logger.js';
import type { RedisClients } from './redis/redis.client.js';
import { parseJsonBody, requireJsonBody } from './http/body.js';
import { apiNotFound, problemHandler } from './http/problem.js';
import { createHealthService } from './health/health.service.js';
import { healthRoutes } from './health/health.routes.js';

export interface AppDeps {
  config: Config;
  logger: Logger;
  database: DatabaseHandle;
  redis: RedisClients;
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** Builds the Express app from connected dependencies. Never listens: index.ts and tests do. */
export function createApp(deps: AppDeps): Express {
  const { config, logger } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  app.set('query parser', 'simple');

  app.use(
    pinoHttp({
      logger,
      // A caller's id is kept (to follow a request across services) only if it is a sane token.
      genReqId: (req, res) => {
        const incoming = req.headers['x-request-id'];
        const id = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
        res.setHeader('X-Request-Id', id);
        return id;
      },
      // Only a bug is an error. A 503 is the expected answer while a dependency is down, and its
      // cause is logged once by whatever noticed the outage, not once per request.
      customLogLevel: (_req, res, err) => (err || (res.statusCode >= 500 && res.statusCode !== 503) ? 'error' : 'info'),
      // Health probes arrive every few seconds; logging each would drown everything else.
      autoLogging: { ignore: (req) => req.url?.startsWith('/api/health') ?? false },
      serializers: {
        req: (req: { id: unknown; method: string; url: string }) => ({ id: req.id, method: req.method, url: req.url }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
    }),
  );
  app.use(
    helmet({
      // Over plain http (development, a LAN demo) these two would send the browser to https.
      strictTransportSecurity: config.isProduction,
      contentSecurityPolicy: { directives: { upgradeInsecureRequests: config.isProduction ? [] : null } },
    }),
  );

  const api = express.Router();
  api.use(requireJsonBody, parseJsonBody);
  api.use('/health', healthRoutes(createHealthService({ redis: deps.redis.main, database: deps.database })));
  api.use(apiNotFound);

  app.use('/api', api);
  app.use(problemHandler(logger));
  return app;
}
