import session, { type SessionData } from 'express-session';
import type { Redis } from 'ioredis';
import type { Role } from '../../shared/schemas/users.js';
import { AppError } from '../errors.js';
import { bounded } from '../redis/bounded.js';
import type { ReplicaAck } from '../redis/replicas.js';

/**
 * What a session carries: who the user is and what access checks need, never a copy of the
 * profile. Kept in step with the user by `updateAccess` when an admin changes their role or
 * locations, so a change applies on the user's next request without a lookup per request.
 */
export interface SessionAccess {
  userId: number;
  role: Role;
  locationIds: number[];
}

declare module 'express-session' {
  interface SessionData extends SessionAccess {
    loginAt: number;
    /** When the session's lifetime was last extended (see sessions.ts, refreshWhenHalfSpent). */
    refreshedAt: number;
  }
}

/**
 * The express-session store, on ioredis (docs/decisions/005-session-store.md). Each session is a
 * hash at `<prefix>sess:<sid>` with two fields:
 * - `access`: userId, role, locationIds. Written at login and by `updateAccess` only, so a request
 *   saving its copy of the session can never roll back a role change made meanwhile;
 * - `state`: the cookie and timestamps, which express-session rewrites on save.
 * Saves only ever update a session that still exists, so a request in flight when its session is
 * revoked (logout, deactivation, password change) cannot bring it back. Only `insert` creates.
 * Each user's session ids are indexed at `<prefix>usersess:<userId>` for revocation: a sorted set
 * scored by each session's expiry, so ids of sessions that ran out are dropped as new ones come.
 *
 * Every script and transaction here touches one key, and no pipeline spans keys: on a Redis
 * Cluster a session and its user's index live in different slots, and the commands of one
 * operation go out side by side, each to its own node (docs/decisions/020-redis-cluster-keys.md).
 * A login and a revocation are acknowledged only once they reached a replica (`ack`).
 */
const UPDATE_IF_EXISTS = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if tonumber(ARGV[3]) > 0 then redis.call('EXPIRE', KEYS[1], ARGV[3]) end
return 1`;

/**
 * Adds (or moves) a session in its user's index at its expiry time, drops the ids of sessions
 * that have expired, and lets the index live as long as its longest session. Redis's own clock,
 * so instances whose clocks differ agree. KEYS: the index. ARGV: sid, TTL in seconds.
 */
const INDEX_ADD = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]) * 1000, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if last[2] then redis.call('PEXPIREAT', KEYS[1], last[2]) end
return 1`;

/** Replaces a session's access only if it is still what the caller last wrote. KEYS: the session. ARGV: expected, new. */
const SET_ACCESS_IF = `
if redis.call('HGET', KEYS[1], 'access') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'access', ARGV[2])
return 1`;

/** A session as stored: the JSON of its two fields. */
export interface StoredSession {
  access: string;
  state: string;
}

type Callback<T = void> = (err?: unknown, value?: T) => void;

interface SessionRedis extends Redis {
  sessionUpdateIfExists(key: string, field: string, value: string, ttlSeconds: number): Promise<number>;
  sessionIndexAdd(key: string, sid: string, ttlSeconds: number): Promise<number>;
  sessionSetAccessIf(key: string, expected: string, access: string): Promise<number>;
}

const unavailable = (cause: unknown) =>
  new AppError('service_unavailable', 'Sessions are unavailable for a moment; try again shortly.', { retryAfter: 1, cause });

export class RedisSessionStore extends session.Store {
  private readonly redis: SessionRedis;
  /**
   * Writes that must survive a failover (login, logout, revocation) go on the replica wait's own
   * connection: WAIT covers the writes of its connection and holds it while it waits.
   */
  private readonly durable: SessionRedis;

  constructor(
    redis: Redis,
    private readonly prefix: string,
    private readonly defaultTtlSeconds: number,
    /** How long a session operation may keep a request waiting (lag-aware, see bounded()). */
    private readonly timeoutMs = 500,
    /** Waits for a replica after a login or a revocation; without it, nothing waits (tests). */
    private readonly ack?: ReplicaAck,
    /** Told after sessions of a user were deleted (logout, revocation), so their open event streams end. */
    private readonly onRevoked: (userId: number) => void = () => {},
  ) {
    super();
    this.redis = RedisSessionStore.withCommands(redis);
    this.durable = ack ? RedisSessionStore.withCommands(ack.client) : this.redis;
  }

  private static withCommands(redis: Redis): SessionRedis {
    if (!('sessionUpdateIfExists' in redis)) {
      redis.defineCommand('sessionUpdateIfExists', { numberOfKeys: 1, lua: UPDATE_IF_EXISTS });
      redis.defineCommand('sessionIndexAdd', { numberOfKeys: 1, lua: INDEX_ADD });
      redis.defineCommand('sessionSetAccessIf', { numberOfKeys: 1, lua: SET_ACCESS_IF });
    }
    return redis as SessionRedis;
  }

  sessionKey(sid: string): string {
    return `${this.prefix}sess:${sid}`;
  }

  indexKey(userId: number): string {
    return `${this.prefix}usersess:${userId}`;
  }

  /**
   * Where the index was a plain set, before it was scored by expiry. Such keys expire within a day
   * of their last write and nothing writes them now; until then revocation reads them too.
   */
  private legacyIndexKey(userId: number): string {
    return `${this.prefix}sessidx:${userId}`;
  }

  private ttlOf(sess: SessionData): number {
    const maxAge = sess.cookie?.maxAge;
    return typeof maxAge === 'number' ? Math.max(1, Math.ceil(maxAge / 1000)) : this.defaultTtlSeconds;
  }

  /** Runs a Redis operation of a request within the bound; a failure or timeout is a 503. */
  private async within<T>(operation: Promise<T>): Promise<T> {
    try {
      return await bounded(operation, this.timeoutMs);
    } catch (err) {
      throw unavailable(err);
    }
  }

  /**
   * As `within`, for writes made on `redis` (the durable connection), then waits until they
   * reached a replica: what is acknowledged (a login, a revocation) survives a failover. The wait
   * has its own bound (REDIS_REPLICA_WAIT_MS).
   */
  private async durably<T>(operation: (redis: SessionRedis) => Promise<T>): Promise<T> {
    const result = await this.within(operation(this.durable));
    try {
      await this.ack?.confirm();
    } catch (err) {
      throw unavailable(err);
    }
    return result;
  }

  private static state(sess: SessionData): string {
    return JSON.stringify({ cookie: sess.cookie, loginAt: sess.loginAt, refreshedAt: sess.refreshedAt });
  }

  /**
   * The raw fields of a session, or null. Every request with a session makes this read, so it has
   * its own lag-aware bound: ioredis's `commandTimeout` is a plain timer that can fire while the
   * reply sits unread because the process was busy, and is only the outer limit here.
   */
  async read(sid: string): Promise<StoredSession | null> {
    let fields: Record<string, string>;
    try {
      fields = await bounded(this.redis.hgetall(this.sessionKey(sid)), this.timeoutMs);
    } catch (err) {
      throw unavailable(err);
    }
    return fields.access && fields.state ? { access: fields.access, state: fields.state } : null;
  }

  override get(sid: string, callback: Callback<SessionData | null>): void {
    this.read(sid).then(
      (stored) => {
        if (!stored) return callback(null, null);
        try {
          callback(null, { ...JSON.parse(stored.state), ...JSON.parse(stored.access) } as SessionData);
        } catch {
          // Unreadable (written by an incompatible version): no session, the user logs in again.
          callback(null, null);
        }
      },
      (err: unknown) => callback(err),
    );
  }

  /** express-session's save: updates the state of a live session, never creates one. */
  override set(sid: string, sess: SessionData, callback?: Callback): void {
    const ttl = this.ttlOf(sess);
    this.within(
      this.redis.sessionUpdateIfExists(this.sessionKey(sid), 'state', RedisSessionStore.state(sess), ttl).then(async (updated) => {
        // The index must outlive every session in it, or a revocation would miss this one.
        if (updated && sess.userId) await this.redis.sessionIndexAdd(this.indexKey(sess.userId), sid, ttl);
      }),
    ).then(() => callback?.(), (err: unknown) => callback?.(err));
  }

  /**
   * Creates a session at login: the index entry first, then the session (each a single key, so
   * this works across Redis Cluster slots). A revocation that runs between the two is caught by
   * the check after the login (see Sessions.establish).
   */
  async insert(sid: string, sess: SessionData): Promise<string> {
    const ttl = this.ttlOf(sess);
    const access = JSON.stringify({ userId: sess.userId, role: sess.role, locationIds: sess.locationIds } satisfies SessionAccess);
    await this.durably((redis) =>
      redis.sessionIndexAdd(this.indexKey(sess.userId), sid, ttl).then(async () => {
        const results = await redis.multi().hset(this.sessionKey(sid), { access, state: RedisSessionStore.state(sess) }).expire(this.sessionKey(sid), ttl).exec();
        const failed = results?.find(([err]) => err)?.[0];
        if (!results || failed) throw failed ?? new Error('the session transaction was discarded');
      }),
    );
    return access;
  }

  /**
   * Gives a new session the access its login found on its second look, unless an `updateAccess`
   * has rewritten it since (`insertedAccess` is what `insert` wrote): that one is newer still.
   */
  async correctAccess(sid: string, insertedAccess: string, access: SessionAccess): Promise<void> {
    await this.within(this.redis.sessionSetAccessIf(this.sessionKey(sid), insertedAccess, JSON.stringify(access)));
  }

  override destroy(sid: string, callback?: Callback): void {
    const key = this.sessionKey(sid);
    this.within(this.redis.hget(key, 'access'))
      .then(async (access) => {
        // No session (a login from a fresh browser regenerates one that never existed): there is
        // no revocation to make durable.
        if (access === null) return void (await this.within(this.redis.del(key)));
        const userId = (JSON.parse(access) as SessionAccess).userId;
        await this.durably((redis) => Promise.all([redis.del(key), redis.zrem(this.indexKey(userId), sid)]));
        this.onRevoked(userId);
      })
      .then(() => callback?.(), (err: unknown) => callback?.(err));
  }

  /** Every session id indexed for a user, in the index and in a legacy one. */
  private async indexed(userId: number, redis: Redis = this.redis): Promise<string[]> {
    const [current, legacy] = await Promise.all([redis.zrange(this.indexKey(userId), 0, '-1'), redis.smembers(this.legacyIndexKey(userId))]);
    return [...new Set([...current, ...legacy])];
  }

  /** Ends every session of a user, except `keepSid` if given. Returns how many ended. */
  async revokeUser(userId: number, keepSid?: string): Promise<number> {
    return this.durably((redis) =>
      this.indexed(userId, redis).then(async (all) => {
        const sids = all.filter((sid) => sid !== keepSid);
        if (sids.length === 0) return 0;
        // One DEL per session, each sent to its own slot's node (auto-pipelined per node), never
        // a multi-key DEL or a pipeline, which a Cluster refuses across slots.
        const [deleted] = await Promise.all([
          Promise.all(sids.map((sid) => redis.del(this.sessionKey(sid)))),
          redis.zrem(this.indexKey(userId), ...sids),
          redis.srem(this.legacyIndexKey(userId), ...sids),
        ]);
        this.onRevoked(userId);
        return deleted.reduce((n, d) => n + d, 0);
      }),
    );
  }

  /** Rewrites the access part of every live session of a user (role or locations changed). */
  async updateAccess(access: SessionAccess): Promise<void> {
    const json = JSON.stringify(access);
    // Taking access away is a revocation too: it must not come back in a failover.
    await this.durably((redis) =>
      this.indexed(access.userId, redis).then(async (sids) => {
        const results = await Promise.all(sids.map((sid) => redis.sessionUpdateIfExists(this.sessionKey(sid), 'access', json, 0)));
        // Sessions that expired meanwhile leave their id behind: tidy the index while here.
        const gone = sids.filter((_, i) => results[i] === 0);
        if (gone.length > 0) await redis.zrem(this.indexKey(access.userId), ...gone);
      }),
    );
  }

  /** Ids of a user's sessions that still exist (tests and admin tooling). */
  async sessionsOf(userId: number): Promise<string[]> {
    const sids = await this.indexed(userId);
    const exists = await Promise.all(sids.map((sid) => this.redis.exists(this.sessionKey(sid))));
    return sids.filter((_, i) => exists[i] === 1);
  }
}
