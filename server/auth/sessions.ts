import type { RequestHandler, Request, Response } from 'express';
import session, { type SessionData } from 'express-session';
import type { Redis } from 'ioredis';
import type { Config } from '../config.js';
import { actorFromSession, type Actor } from '../access/actor.js';
import { AppError } from '../http/errors.js';
import { RedisSessionStore, type SessionAccess } from './session.store.js';

export const SESSION_COOKIE = 'crewplots.sid';
export const SESSION_TTL_SECONDS = 24 * 60 * 60;

/**
 * Sessions as DESIGN.md describes them, with one change to how they are kept alive: instead of a
 * Redis write on every request (express-session's touch), a session's lifetime is extended only
 * once half of it is spent. A busy browser then costs one Redis read per request, and the cookie
 * is re-sent with the new expiry whenever the lifetime is extended.
 */
export function createSessions(config: Config, redis: Redis) {
  const store = new RedisSessionStore(redis, config.redis.prefix, SESSION_TTL_SECONDS, config.redis.commandTimeoutMs);
  const cookie = {
    httpOnly: true,
    sameSite: 'lax' as const,
    secure: config.session.secureCookie,
    path: '/',
  };
  const loadSession = session({
    store,
    name: SESSION_COOKIE,
    secret: [...config.session.secrets],
    resave: false,
    saveUninitialized: false,
    rolling: false,
    // Not 'destroy': express-session would then delete the session of any request whose session
    // read failed (req.session stays unset), turning a Redis hiccup into a logout. Sessions end
    // only through destroy() (logout, login's regenerate) and revocation.
    unset: 'keep',
    cookie: { ...cookie, maxAge: SESSION_TTL_SECONDS * 1000 },
  });

  const refreshWhenHalfSpent: RequestHandler = (req, _res, next) => {
    const s = req.session;
    if (s?.userId && Date.now() - (s.refreshedAt ?? 0) > (SESSION_TTL_SECONDS * 1000) / 2) s.refreshedAt = Date.now();
    next();
  };

  const requireActor: RequestHandler = (req, res, next) => {
    const s = req.session;
    if (!s?.userId || !s.role || !s.locationIds) throw new AppError('unauthenticated', 'Sign in first.');
    res.locals.actor = actorFromSession({ userId: s.userId, role: s.role, locationIds: s.locationIds });
    next();
  };

  return {
    store,
    /** Loads the session, 401 without one, extends it when due, exposes `res.locals.actor`. */
    requireSession: [loadSession, requireActor, refreshWhenHalfSpent] as RequestHandler[],
    /** Loads a session if there is one; for routes that also admit other credentials. */
    optionalSession: loadSession,

    /**
     * Signs a user in: a fresh session id (the old session, if any, is destroyed, so a fixated
     * id is worthless), stored before the response goes out.
     */
    async establish(req: Request, access: SessionAccess): Promise<Actor> {
      await new Promise<void>((resolve, reject) => req.session.regenerate((err) => (err ? reject(err) : resolve())));
      const now = Date.now();
      Object.assign(req.session, access, { loginAt: now, refreshedAt: now });
      await store.insert(req.sessionID, req.session as SessionData);
      return actorFromSession(access);
    },

    async end(req: Request, res: Response): Promise<void> {
      await new Promise<void>((resolve, reject) => req.session.destroy((err) => (err ? reject(err) : resolve())));
      res.clearCookie(SESSION_COOKIE, cookie);
    },
  };
}

export type Sessions = ReturnType<typeof createSessions>;
