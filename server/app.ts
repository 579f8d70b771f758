import express, { type Express } from 'express';
import type { Runtime } from './runtime.js';
import { accessLog } from './http/access-log.js';
import { requireJsonBody } from './http/body.js';
import { chain } from './http/chain.js';
import { clientApp, findClientBuild } from './http/client-app.js';
import { rejectForeignOrigins } from './http/csrf.js';
import { securityHeaders } from './http/security-headers.js';
import { apiNotFound, problemHandler } from './http/problem.js';
import { InFlight } from './http/in-flight.js';
import { buildRouter, type RouteDef } from './http/route.js';
import { createChangeFeed } from './changes/changes.js';
import { createWritePath } from './changes/write-path.js';
import { silentPublisher, type LivePublisher } from './live/live.types.js';
import { createAttemptLimiter } from './auth/attempt-limiter.js';
import { createAuthService } from './auth/auth.service.js';
import { createCalendarRepository } from './calendar/calendar.repository.js';
import { createCalendarService } from './calendar/calendar.service.js';
import { calendarRoutes } from './calendar/calendar.routes.js';
import { authRoutes } from './auth/auth.routes.js';
import { createDeviceCookies } from './auth/device-cookie.js';
import { createSessions } from './auth/sessions.js';
import { createHealthService } from './health/health.service.js';
import { healthRoutes } from './health/health.routes.js';
import { createLocationsRepository } from './locations/locations.repository.js';
import { createLocationsService } from './locations/locations.service.js';
import { locationsRoutes } from './locations/locations.routes.js';
import { createLiveService } from './live/live.service.js';
import { EVENTS_PATH, liveRoutes } from './live/live.routes.js';
import { createAuthMetrics } from './metrics/auth.metrics.js';
import { createHttpMetrics } from './metrics/http.metrics.js';
import { requireMetricsAccess } from './metrics/metrics.access.js';
import { metricsRoutes } from './metrics/metrics.routes.js';
import { openApiRoutes } from './openapi/openapi.routes.js';
import { createPlanningRepository } from './planning/planning.repository.js';
import { createPlanningService } from './planning/planning.service.js';
import { planningRoutes } from './planning/planning.routes.js';
import { createSchedulesRepository } from './schedules/schedules.repository.js';
import { createSchedulesService } from './schedules/schedules.service.js';
import { schedulesRoutes } from './schedules/schedules.routes.js';
import { createUsersRepository } from './users/users.repository.js';
import { createUsersService } from './users/users.service.js';
import { usersRoutes } from './users/users.routes.js';
import { createNotificationsRepository } from './notifications/notifications.repository.js';
import { createNotificationsService } from './notifications/notifications.service.js';
import { notificationsRoutes } from './notifications/notifications.routes.js';
import { createNotifier } from './notifications/notifier.js';
import { createScheduleNotices } from './notifications/schedule-notices.js';
import { createPublicationsRepository } from './schedules/publications.js';
import { createPresenceService } from './presence/presence.service.js';
import { createPresenceStore } from './presence/presence.store.js';
import { presenceRoutes } from './presence/presence.routes.js';
import { createShiftRequestsRepository } from './shift-requests/shift-requests.repository.js';
import { createShiftRequestsService } from './shift-requests/shift-requests.service.js';
import { shiftRequestsRoutes } from './shift-requests/shift-requests.routes.js';
import { createAccountsRepository } from './accounts/accounts.repository.js';
import { createAccountsService } from './accounts/accounts.service.js';
import { accountsRoutes } from './accounts/accounts.routes.js';

export type AppDeps = Omit<Runtime, 'close'> & {
  /** Where committed changes go instead of `live.publisher` (tests that watch what is published). */
  publisher?: LivePublisher;
};

/**
 * One write path for every service (DESIGN.md rule 10): a transaction, then one declaration of
 * what it touched drives both the cache invalidation and the live events.
 */
export function createWrites(deps: Pick<AppDeps, 'cache' | 'logger' | 'metrics' | 'database' | 'publisher'> & { live?: Pick<Runtime['live'], 'publisher'> }) {
  const live = deps.publisher ?? deps.live?.publisher ?? silentPublisher;
  const changes = createChangeFeed({ cache: deps.cache, live, logger: deps.logger, metrics: deps.metrics.writes });
  return { changes, writes: createWritePath(deps.database.db, changes) };
}

/** Repositories, services and the route table of one app: wired by hand, one way, no container. */
export function createRoutes(deps: AppDeps, options: AppOptions = {}) {
  const { config, logger, database, redis, cache, metrics, live } = deps;
  const db = database.db;
  const sessions = createSessions(config, redis.main, {
    replicaAck: redis.replicaAck,
    onRevoked: (userId) => live.publisher.revoked(userId),
  });
  const { changes, writes } = createWrites(deps);

  const usersRepo = createUsersRepository(db);
  const accountsRepo = createAccountsRepository(db);
  const users = createUsersService({ repo: usersRepo, cache, sessions: sessions.store, logger, writes, links: accountsRepo });
  const locations = createLocationsService({ repo: createLocationsRepository(db), cache, writes });
  const notificationsRepo = createNotificationsRepository(db);
  const notifier = createNotifier(notificationsRepo);
  const schedulesRepo = createSchedulesRepository(db);
  const planningRepo = createPlanningRepository(db);
  const schedules = createSchedulesService({
    repo: schedulesRepo,
    shiftWarnings: planningRepo.shiftWarningCodes,
    cache,
    locations,
    users,
    writes,
    changes,
    notices: createScheduleNotices(notifier),
    publications: createPublicationsRepository(db),
  });
  const planning = createPlanningService({ repo: planningRepo, cache, users, writes, changes, currency: config.currency, scheduleHead: schedules.head });
  const shiftRequests = createShiftRequestsService({ repo: createShiftRequestsRepository(db), schedules: schedulesRepo, users, locations, notifier, writes });
  const limiter = createAttemptLimiter(redis.main, config.redis.prefix, { timeoutMs: config.redis.commandTimeoutMs });
  const auth = createAuthService({ repo: usersRepo, users, limiter, metrics: createAuthMetrics(metrics.registry) });
  const accounts = createAccountsService({ repo: accountsRepo, usersRepo, users, writes, sessions: sessions.store, limiter, config });
  // Presence is as disposable as a cache entry, so it lives on the cache's Redis (decision 036).
  const presenceStore = createPresenceStore(redis.cache, config.redis.prefix, { timeoutMs: config.redis.commandTimeoutMs });
  const presence = createPresenceService({ store: presenceStore, schedules, users, logger });

  const routes: RouteDef[] = [
    ...healthRoutes(createHealthService({ redis: redis.main, prefix: config.redis.prefix, logger, database, draining: options.draining })),
    ...authRoutes(auth, sessions, createDeviceCookies(config)),
    ...usersRoutes(users),
    ...accountsRoutes(accounts, sessions),
    ...locationsRoutes(locations),
    ...schedulesRoutes(schedules),
    ...shiftRequestsRoutes(shiftRequests),
    ...notificationsRoutes(createNotificationsService({ repo: notificationsRepo, writes })),
    ...planningRoutes(planning),
    ...presenceRoutes(presence),
    ...calendarRoutes(
      createCalendarService({
        repo: createCalendarRepository(db),
        cache,
        users,
        writes,
        changes,
        limiter: createAttemptLimiter(redis.main, config.redis.prefix, { timeoutMs: config.redis.commandTimeoutMs }),
      }),
    ),
    ...metricsRoutes(metrics.registry),
    ...liveRoutes(createLiveService({ live, sessionAccess: sessions.accessOf, loadUser: (id) => usersRepo.findById(id) })),
  ];
  routes.push(...openApiRoutes(() => routes));
  return { routes, sessions };
}

export interface AppOptions {
  /** Counts running route handlers, for shutdown to wait on (index.ts). */
  inFlight?: InFlight;
  /** True once shutdown has begun: readiness answers 503 so a balancer moves traffic away first. */
  draining?: () => boolean;
}

/** Builds the Express app from connected dependencies. Never listens: index.ts and tests do. */
export function createApp(deps: AppDeps, options: AppOptions = {}): Express {
  const { config, logger } = deps;
  const { routes, sessions } = createRoutes(deps, options);
  const httpMetrics = createHttpMetrics(deps.metrics.registry);
  httpMetrics.watchRedis(deps.redis.main, 'main');
  if (deps.redis.cache !== deps.redis.main) httpMetrics.watchRedis(deps.redis.cache, 'cache');

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  app.set('query parser', 'simple');
  // Hashing every body for an ETag costs more than the revalidations it saves (a 28 KB schedule
  // per request); the built client's files get their own from serve-static.
  app.set('etag', false);

  // One layer each for what every request runs, and for the API: Express walks its layers one by
  // one, and the route table is a lookup of its own (http/dispatch.ts).
  // helmet's defaults; HSTS and upgrade-insecure-requests go only with answers to https requests,
  // and the event stream, never a page, gets only the few that apply to it (decision 035).
  const eventStream = `/api${EVENTS_PATH}`;
  app.use(chain([accessLog(logger), securityHeaders({}, { isStream: (req) => req.path === eventStream })]));
  const access = {
    requireSession: sessions.requireSession,
    optionalSession: sessions.optionalSession,
    actorIfAny: sessions.actorIfAny,
    requireMetricsAccess: requireMetricsAccess(config.metricsToken, sessions),
    signedIn: sessions.signedIn,
  };
  app.use(
    '/api',
    chain([httpMetrics.measure, rejectForeignOrigins(config.appOrigins), requireJsonBody, buildRouter(routes, access, options.inFlight), apiNotFound]),
  );
  const clientBuild = findClientBuild();
  if (clientBuild) app.use(clientApp(clientBuild, { sourceMaps: !config.isProduction }));
  app.use(problemHandler(logger, { databaseError: httpMetrics.postgresError }));
  return app;
}
