import type { RequestHandler, Request, Response } from 'express';
import { parse as parseCookies } from 'cookie';
import { unsign } from 'cookie-signature';
import session, { type SessionData } from 'express-session';
import type { Redis } from 'ioredis';
import type { Config } from '../config.js';
import type { ReplicaAck } from '../redis/replicas.js';
import { actorFromSession, type Actor } from '../access/actor.js';
import { chain } from '../http/chain.js';
import { AppError } from '../errors.js';
import { RedisSessionStore, type SessionAccess, type StoredSession } from './session.store.js';

export const SESSION_COOKIE = 'crewplots.sid';
export const SESSION_TTL_SECONDS = 24 * 60 * 60;
/** However busy, a session ends this long after its login: a stolen cookie does not live forever. */
export const SESSION_MAX_AGE_MS = 30 * 24 * 60 * 60 * 1000;

/** A session's lifetime is extended once half of it is spent (see createSessions). */
const refreshDue = (refreshedAt: number | undefined) => Date.now() - (refreshedAt ?? 0) > (SESSION_TTL_SECONDS * 1000) / 2;
/** Past SESSION_MAX_AGE_MS since its login; a session without a login time counts as over age too. */
export const overAge = (loginAt: number | undefined) => !(Date.now() - (loginAt ?? 0) < SESSION_MAX_AGE_MS);

const signInFirst = () => new AppError('unauthenticated', 'Sign in first.');

/**
 * Sessions as DESIGN.md describes them, with one change to how they are kept alive: instead of a
 * Redis write on every request (express-session's touch), a session's lifetime is extended only
 * once half of it is spent. A busy browser then costs one Redis read per request, and the cookie
 * is re-sent with the new expiry whenever the lifetime is extended.
 *
 * A GET or HEAD, which never changes its session, skips express-session when no extension is due:
 * the cookie is verified against the same secrets and the session read from the same store, and
 * only the actor is built (docs/decisions/005-session-store.md). Everything else, and any request
 * whose session is due an extension, goes through express-session.
 */
export interface SessionsOptions {
  /** Waits for a replica after a login or a revocation; without it, nothing waits (tests). */
  replicaAck?: ReplicaAck;
  /** Sessions of this user were deleted (logout, deactivation, password change): their event streams end. */
  onRevoked?: (userId: number) => void;
}

export function createSessions(config: Config, redis: Redis, options: SessionsOptions = {}) {
  const store = new RedisSessionStore(redis, config.redis.prefix, SESSION_TTL_SECONDS, config.redis.commandTimeoutMs, options.replicaAck, options.onRevoked);
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
    if (s?.userId && refreshDue(s.refreshedAt)) s.refreshedAt = Date.now();
    next();
  };

  const requireActor: RequestHandler = (req, res, next) => {
    const s = req.session;
    if (!s?.userId || !s.role || !s.locationIds || overAge(s.loginAt)) throw signInFirst();
    res.locals.actor = actorFromSession({ userId: s.userId, role: s.role, locationIds: s.locationIds });
    next();
  };

  const throughExpressSession = chain([loadSession, requireActor, refreshWhenHalfSpent]);
  const verified = new VerifiedCookies([...config.session.secrets]);

  const requireSession: RequestHandler = (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return throughExpressSession(req, res, next);
    const sid = verified.sessionId(req.headers.cookie);
    if (sid === undefined) return next(signInFirst());
    store
      .read(sid)
      .then((stored) => {
        const view = stored ? readableSession(stored) : undefined;
        if (!view || overAge(view.loginAt)) return next(signInFirst());
        if (refreshDue(view.refreshedAt)) return throughExpressSession(req, res, next);
        req.sessionID = sid;
        res.locals.actor = actorFromSession(view.access);
        next();
      })
      .catch(next);
  };

  /** requireSession without its 401: the session probe answers "nobody" instead of an error. */
  const actorIfAny: RequestHandler = (req, res, next) =>
    requireSession(req, res, (err?: unknown) => (err instanceof AppError && err.code === 'unauthenticated' ? next() : next(err)));

  /** Drops the session a login just made, so a login that fails after all sends no cookie. */
  const discard = (req: Request) => new Promise<void>((resolve) => req.session.destroy(() => resolve()));

  return {
    store,
    /** Loads the session, 401 without one, extends it when due, exposes `res.locals.actor`. */
    requireSession: [requireSession] as RequestHandler[],
    /** Loads a session if there is one; for routes that also admit other credentials. */
    optionalSession: loadSession,
    /** Exposes `res.locals.actor` for a signed-in request, and lets any other through without one. */
    actorIfAny,
    /** Whether the request carries a session cookie with a valid signature; its session is not read. */
    signedIn: (req: Request) => verified.sessionId(req.headers.cookie) !== undefined,

    /**
     * Signs a user in: a fresh session id (the old session, if any, is destroyed, so a fixated
     * id is worthless), stored before the response goes out.
     *
     * Then `confirm` reads the user again. A deactivation, password change or role change that
     * committed while this login was checking the password has already swept the user's sessions
     * (its sweep follows its commit), perhaps before this one existed; the second read sees it.
     * One that commits later sweeps this session too, as it is stored by then. So: `confirm`
     * throws (deactivated, password changed) → the session is dropped and the login refused; it
     * answers other access → the session takes that.
     */
    async establish(req: Request, access: SessionAccess, confirm: () => Promise<SessionAccess>): Promise<Actor> {
      if (req.session.cookie.secure && !req.secure) {
        // Browsers would never send the cookie back: say so instead of a login that silently does not stick.
        throw new AppError('forbidden', 'Sign in over https: the session cookie is sent over secure connections only (COOKIE_SECURE, TRUST_PROXY).');
      }
      try {
        await new Promise<void>((resolve, reject) => req.session.regenerate((err) => (err ? reject(err) : resolve())));
      } catch (err) {
        // express-session hands out a new id even when ending the old session failed: no cookie for it.
        await discard(req);
        throw err;
      }
      const now = Date.now();
      Object.assign(req.session, access, { loginAt: now, refreshedAt: now });
      let inserted: string;
      try {
        inserted = await store.insert(req.sessionID, req.session as SessionData);
      } catch (err) {
        // Stored perhaps, but not known to survive a failover: no cookie for it.
        await discard(req);
        throw err;
      }
      try {
        const current = await confirm();
        if (!sameAccess(current, access)) {
          await store.correctAccess(req.sessionID, inserted, current);
          Object.assign(req.session, current);
        }
        return actorFromSession(current);
      } catch (err) {
        await discard(req);
        throw err;
      }
    },

    discard,

    /** A session's access as stored now, or null once it was revoked, ran out or passed its age (event streams re-check theirs). */
    async accessOf(sid: string): Promise<SessionAccess | null> {
      const stored = await store.read(sid);
      const view = stored ? readableSession(stored) : undefined;
      return view && !overAge(view.loginAt) ? view.access : null;
    },

    /** Every session of the user but `keepSid` ends (their event streams get `session.ended`). */
    async endOthers(userId: number, keepSid: string): Promise<void> {
      await store.revokeUser(userId, keepSid);
    },

    async end(req: Request, res: Response): Promise<void> {
      await new Promise<void>((resolve, reject) => req.session.destroy((err) => (err ? reject(err) : resolve())));
      res.clearCookie(SESSION_COOKIE, cookie);
    },
  };
}

export type Sessions = ReturnType<typeof createSessions>;

const sameAccess = (a: SessionAccess, b: SessionAccess) =>
  a.userId === b.userId && a.role === b.role && a.locationIds.join() === b.locationIds.join();

/** The session id of a `crewplots.sid` cookie signed with any of the secrets, as express-session reads it. */
function signedSessionId(header: string | undefined, secrets: readonly string[]): string | undefined {
  if (!header) return undefined;
  const raw = parseCookies(header)[SESSION_COOKIE];
  if (!raw?.startsWith('s:')) return undefined;
  for (const secret of secrets) {
    const sid = unsign(raw.slice(2), secret);
    if (sid !== false) return sid;
  }
  return undefined;
}

/** How many verified Cookie headers `VerifiedCookies` remembers, and the longest it keeps. */
const VERIFIED_MAX = 10_000;
const VERIFIED_HEADER_MAX = 4_096;

/**
 * The session ids of Cookie headers already verified. A browser sends the same header on every
 * request, and its signature check (an HMAC) is the same work each time: a header seen before
 * with a valid signature maps to its id without parsing or hashing it again. Only valid ones are
 * kept, the secrets never change while the process runs, and whether the session still exists is
 * asked of Redis on every request as before. Bounded: the oldest entry goes when it is full.
 */
export class VerifiedCookies {
  private readonly ids = new Map<string, string>();

  constructor(
    private readonly secrets: readonly string[],
    private readonly max = VERIFIED_MAX,
  ) {}

  sessionId(header: string | undefined): string | undefined {
    if (!header) return undefined;
    const known = this.ids.get(header);
    if (known !== undefined) return known;
    const sid = signedSessionId(header, this.secrets);
    if (sid !== undefined && header.length <= VERIFIED_HEADER_MAX) {
      if (this.ids.size >= this.max) this.ids.delete(this.ids.keys().next().value!);
      this.ids.set(header, sid);
    }
    return sid;
  }
}

/** What a GET needs of a stored session, or undefined if it is not a complete one. */
function readableSession(
  stored: StoredSession,
): { access: SessionAccess; loginAt: number | undefined; refreshedAt: number | undefined } | undefined {
  try {
    const access = JSON.parse(stored.access) as Partial<SessionAccess>;
    const state = JSON.parse(stored.state) as { loginAt?: number; refreshedAt?: number };
    if (typeof access.userId !== 'number' || !access.role || !Array.isArray(access.locationIds)) return undefined;
    return {
      access: { userId: access.userId, role: access.role, locationIds: access.locationIds },
      loginAt: state.loginAt,
      refreshedAt: state.refreshedAt,
    };
  } catch {
    // Unreadable (written by an incompatible version): no session, as express-session would decide.
    return undefined;
  }
}
