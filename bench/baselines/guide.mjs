// Scenarios 1c and 1d: the same routes written exactly as redis-integration-guide.md writes it: its
// ioredis options and event logging, connect-redis 8.1.0 RedisStore with touch enabled (an
// EXPIRE on every request), its sessionOptions, and its cacheUtils get/set (JSON.parse of the
// cached value, then res.json). Deviations, all forced: `import { Redis }` / `import { RedisStore }`
// (the named exports of ioredis 6 and connect-redis 8.1), keys under the benchmark's own prefix,
// `secure: false` (plain http: a Secure cookie would never come back), and the loader on a miss
// is the app's own repository (Drizzle: users for 1c, a schedule with its shifts for 1d), so the
// cached JSON is byte-for-byte the app's.
// Env: PORT, USER_JSON (unused: the value comes from Redis / Postgres), SESSION_SECRET,
// REDIS_HOST, REDIS_PORT, BENCH_PREFIX, DATABASE_URL, BUILD (the compiled app, for its repository).
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import express from 'express';
import session from 'express-session';
import { RedisStore } from 'connect-redis';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import pg from 'pg';
import { drizzle } from 'drizzle-orm/node-postgres';

const logger = pino({ level: 'info' });
const PREFIX = process.env.BENCH_PREFIX ?? 'crewplots-bench:';
const build = (p) => import(pathToFileURL(path.join(process.env.BUILD, p)).href);
const schema = await build('server/db/schema.js');
const { createUsersRepository } = await build('server/users/users.repository.js');
const db = drizzle(new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 }), { schema });
const { createSchedulesRepository } = await build('server/schedules/schedules.repository.js');
const usersRepo = createUsersRepository(db);
const schedulesRepo = createSchedulesRepository(db);

// ---- the guide's Redis client ----------------------------------------------------------------
const redisOptions = {
  host: process.env.REDIS_HOST || 'localhost',
  port: parseInt(process.env.REDIS_PORT || '6379', 10),
  maxRetriesPerRequest: 3,
  connectTimeout: 10000, // 10 seconds
  retryStrategy(times) {
    const delay = Math.min(times * 50, 2000);
    return delay;
  },
};
export const redisClient = new Redis(redisOptions);
redisClient.on('connect', () => logger.info('Redis client connected'));
redisClient.on('error', (err) => logger.error('Redis client error:', err));
redisClient.on('reconnecting', () => logger.info('Redis client reconnecting'));
redisClient.on('ready', () => logger.info('Redis client ready'));

// ---- the guide's session configuration -------------------------------------------------------
const redisStore = new RedisStore({
  client: redisClient,
  prefix: `${PREFIX}guide:sess:`,
  disableTouch: false,
  ttl: 86400, // 1 day in seconds
});
export const sessionOptions = {
  store: redisStore,
  secret: process.env.SESSION_SECRET,
  name: 'crewplots.sid',
  resave: false,
  saveUninitialized: false,
  cookie: {
    httpOnly: true,
    secure: false, // the guide: process.env.NODE_ENV === 'production'; plain http here
    sameSite: 'lax',
    maxAge: 24 * 60 * 60 * 1000, // 1 day in milliseconds
  },
};

// ---- the guide's cache helpers ---------------------------------------------------------------
const CACHE_TTL = { SHORT: 60, MEDIUM: 300, LONG: 3600 };
const CACHE_PREFIX = { USER: `${PREFIX}guide:user:`, LOCATION: `${PREFIX}guide:location:`, SCHEDULE: `${PREFIX}guide:schedule:` };
export const cacheUtils = {
  async set(key, data, ttl = CACHE_TTL.MEDIUM) {
    try {
      await redisClient.setex(key, ttl, JSON.stringify(data));
    } catch (error) {
      logger.error(`Cache set error for key ${key}:`, error);
    }
  },
  async get(key) {
    try {
      const data = await redisClient.get(key);
      if (!data) return null;
      return JSON.parse(data);
    } catch (error) {
      logger.error(`Cache get error for key ${key}:`, error);
      return null;
    }
  },
  async del(key) {
    try {
      await redisClient.del(key);
    } catch (error) {
      logger.error(`Cache delete error for key ${key}:`, error);
    }
  },
};
export const userCache = {
  async getById(userId) {
    const cacheKey = `${CACHE_PREFIX.USER}${userId}`;
    const cachedUser = await cacheUtils.get(cacheKey);
    if (cachedUser) return cachedUser;
    const user = await usersRepo.findById(userId);
    if (user) await cacheUtils.set(cacheKey, user, CACHE_TTL.MEDIUM);
    return user || null;
  },
};
// The guide's cache-aside, as userCache writes it, for a schedule with its shifts (scenario 1d).
export const scheduleCache = {
  async getById(scheduleId) {
    const cacheKey = `${CACHE_PREFIX.SCHEDULE}${scheduleId}`;
    const cachedSchedule = await cacheUtils.get(cacheKey);
    if (cachedSchedule) return cachedSchedule;
    const schedule = await schedulesRepo.findWithShifts(scheduleId);
    if (schedule) await cacheUtils.set(cacheKey, schedule, CACHE_TTL.MEDIUM);
    return schedule || null;
  },
};

// ---- the app ---------------------------------------------------------------------------------
const app = express();
app.use(session(sessionOptions));
app.post('/login', (req, res, next) => {
  req.session.regenerate((err) => {
    if (err) return next(err);
    Object.assign(req.session, { userId: 1, role: 'admin', locationIds: [], loginAt: Date.now(), refreshedAt: Date.now() });
    req.session.save((err2) => (err2 ? next(err2) : res.json({ ok: true })));
  });
});
app.get('/api/users/:id', async (req, res) => {
  if (!req.session.userId) return res.status(401).json({ error: 'unauthenticated' });
  const user = await userCache.getById(Number(req.params.id));
  if (!user) return res.status(404).json({ error: 'not_found' });
  res.json(user);
});
app.get('/api/schedules/:id', async (req, res) => {
  if (!req.session.userId) return res.status(401).json({ error: 'unauthenticated' });
  const schedule = await scheduleCache.getById(Number(req.params.id));
  if (!schedule) return res.status(404).json({ error: 'not_found' });
  res.json(schedule);
});

const server = app.listen(Number(process.env.PORT), '127.0.0.1', () => console.log(`listening on ${process.env.PORT}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
