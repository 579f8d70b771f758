import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { Logger } from '../logger.js';
import { bounded } from '../redis/bounded.js';
import type { CacheMetrics } from '../metrics/metrics.js';
import { createBreaker, type BreakerState } from './cache.breaker.js';
import { createEpochTracker } from './cache.epoch.js';
import { encodeEnvelope, entryKey, leaseKey, type CacheKey } from './cache.keys.js';
import {
  BAD,
  TTL_SECONDS,
  checkVersion,
  decode,
  isCurrent,
  load,
  versionOf,
  type AnyRequest,
  type CachedFor,
  type Entry,
  type HeadSchema,
  type LoadRequest,
  type ReadAhead,
} from './cache.values.js';
import { FILL, READ, RELEASE, UNGUARDED_FILL, runScript } from './cache.scripts.js';

/**
 * Cache-aside over Redis for entities loaded from Postgres (DESIGN.md, "Cache-aside: the rules";
 * docs/decisions/004-cache-freshness.md for why it is built this way).
 *
 *   const key = { namespace: 'schedule', id };                 // Redis key `<prefix>schedule:<id>`
 *   const hit = await cache.getOrLoad({ key, ttl: 'MEDIUM', schema: Schedule, load: () => repo.find(id) });
 *   res.type('json').send(hit.json);   // the stored bytes, the same on a hit and on the miss that filled it
 *   await cache.invalidate([key]);     // after the transaction commits
 */

export type { CacheKey };

export { CacheShapeError, TTL_SECONDS } from './cache.values.js';
export type { Cached, HeadSchema, LoadRequest, ReadAhead, TtlClass } from './cache.values.js';

export interface CacheStatus {
  disabled: boolean;
  breaker: BreakerState;
  epoch: number | undefined;
  /** An invalidation (or a whole outage) went unrecorded; reads bypass Redis until the epoch moves. */
  pendingEpochBump: boolean;
}

export interface Cache {
  getOrLoad<S extends z.ZodType, H extends HeadSchema | undefined = undefined>(request: LoadRequest<S, H>): Promise<CachedFor<S, H> | null>;
  /** Starts the GET of an entry a request is about to read; undefined while reads bypass Redis. */
  readAhead(key: CacheKey): ReadAhead | undefined;
  /** Deletes the entries (and their fill leases). Never throws: a failure is made good by an epoch bump. */
  invalidate(keys: readonly CacheKey[]): Promise<void>;
  /**
   * For a write that cannot tell which entries it made stale: every entry stored before now is
   * retired by an epoch bump, on every instance. Until the bump lands, this instance reads from
   * the database. Never throws.
   */
  invalidateAll(): void;
  status(): CacheStatus;
  /** Settles once the epoch is known (or learning it failed); until then reads bypass Redis. */
  readonly ready: Promise<void>;
  /** Stops timers and the subscriber. The Redis connections given to the cache stay open. */
  close(): Promise<void>;
}

/** How long "this id does not exist" is remembered. */
const NEGATIVE_TTL_SECONDS = 30;
/** ± fraction applied to every TTL, so entries written together do not expire together. */
const TTL_JITTER = 0.1;
/** Consecutive Redis failures that open the breaker. */
const FAILURE_THRESHOLD = 3;
/** Pause between probes while the breaker is open. */
const PROBE_INTERVAL_MS = 1_000;

/** The timings a caller may set: tests stretch or shorten them to make a race or an outage visible. */
export interface CacheTimings {
  /** Longest one Redis operation may hold up a read or an invalidation. */
  opTimeoutMs: number;
  /** Fill lease lifetime: a load slower than this is served but not stored. */
  leaseMs: number;
  /** How long an instance waits for another instance's load before loading itself (without storing). */
  fillWaitMs: number;
  /** Backstop re-read of the epoch, for pub/sub messages lost without a reconnect. */
  epochRefreshMs: number;
}

const DEFAULT_TIMINGS: Readonly<CacheTimings> = Object.freeze({
  opTimeoutMs: 150,
  leaseMs: 2_000,
  fillWaitMs: 300,
  epochRefreshMs: 15_000,
});

export interface CacheOptions extends Partial<CacheTimings> {
  /** Never-evicted Redis: the epoch and its pub/sub channel. */
  main: Redis;
  /** Where entries and leases live (may be `main`; an LRU instance in production, decision 002). */
  store: Redis;
  prefix: string;
  logger: Logger;
  metrics: CacheMetrics;
  /** CACHE_DISABLED: every read calls its loader, invalidations do nothing. */
  disabled?: boolean;
  /**
   * TEST ONLY. Fills without checking the lease, re-opening the stale-set race, so a test can
   * prove that the race tests are able to fail. Never set outside tests.
   */
  unsafeSkipFillGuard?: boolean;
}

type Outcome = { kind: 'value'; result: Entry } | { kind: 'retry' };

/** One load shared by the readers of one key in this process. */
interface Flight {
  readonly promise: Promise<Outcome>;
  readonly names: string[];
  settle(outcome: Outcome): void;
  fail(err: unknown): void;
}

type ReadReply =
  | { kind: 'hit'; envelope: string }
  | { kind: 'lease'; bad: boolean }
  | { kind: 'held'; holder: string | null; bad: boolean };

const DOWN_STATUSES = new Set(['reconnecting', 'close', 'end']);
const ALL = '-';

export function createCache(options: CacheOptions): Cache {
  if (options.disabled) return disabledCache(options.metrics);
  return enabledCache(options, { ...DEFAULT_TIMINGS, ...definedOnly(options) });
}

function enabledCache(options: CacheOptions, t: CacheTimings): Cache {
  const { main, store, prefix, metrics } = options;
  const logger = options.logger.child({ component: 'cache' });
  const instance = randomBytes(6).toString('base64url');
  let tokenSeq = 0;
  const flights = new Map<string, Flight>();
  const bypassFlights = new Map<string, Promise<Entry>>();
  let closed = false;
  // Lost invalidations (and outages) counted against epoch bumps made since: reads may use Redis
  // only when every loss has been followed by a bump.
  let lossCount = 0;
  let bumpedThrough = 0;

  const breaker = createBreaker({
    failureThreshold: FAILURE_THRESHOLD,
    logger,
    metrics,
    onOpen: () => {
      // Invalidations during the outage are lost, possibly by other instances too; and a Redis
      // restored from disk may hold entries invalidated since. One bump on recovery covers both.
      lossCount += 1;
      scheduleRecovery(PROBE_INTERVAL_MS);
    },
  });
  const epoch = createEpochTracker({ main, prefix, logger, run: (name, fn) => op(name, ALL, main, fn) });

  const pendingBump = () => lossCount > bumpedThrough;
  const usable = () => !closed && breaker.state === 'closed' && epoch.current() !== undefined && !pendingBump();

  async function op<T>(name: string, namespace: string, client: Redis, run: () => Promise<T>): Promise<T> {
    try {
      if (DOWN_STATUSES.has(client.status)) throw new Error(`Redis connection is ${client.status}`);
      const value = await bounded(run(), t.opTimeoutMs);
      breaker.succeeded();
      return value;
    } catch (err) {
      metrics.errors.inc({ namespace, op: name });
      breaker.failed(err);
      throw err;
    }
  }

  // ---- reads ----------------------------------------------------------------------------------

  /** The plain GET of a hit. */
  function read(key: string, namespace: string): Promise<Buffer | null> {
    // Another Redis type under the key is a bad entry, for the read script to deal with, not
    // a Redis failure that should count towards opening the breaker.
    return op('read', namespace, store, () =>
      store.getBuffer(key).catch((err: Error) => {
        if (err.message.startsWith('WRONGTYPE')) return null;
        throw err;
      }),
    );
  }

  function readAhead(ref: CacheKey): ReadAhead | undefined {
    if (!usable()) return undefined;
    const key = entryKey(prefix, ref);
    const reply = read(key, ref.namespace);
    // A request refused by its access check never looks; a failure has been counted by op().
    reply.catch(() => {});
    return { key, reply };
  }

  async function getOrLoad(request: AnyRequest): Promise<Entry> {
    const key = entryKey(prefix, request.key);
    checkVersion(request);
    if (!usable()) {
      metrics.bypasses.inc({ namespace: request.key.namespace });
      return bypass(request, key);
    }
    // A hit costs one plain GET (perhaps sent ahead by the route); only a miss (or an entry of
    // another version or epoch) runs the read script that takes the fill lease.
    let envelope: Buffer | null;
    try {
      envelope = await (request.readAhead?.key === key ? request.readAhead.reply : read(key, request.key.namespace));
    } catch {
      metrics.bypasses.inc({ namespace: request.key.namespace });
      return bypass(request, key);
    }
    if (envelope !== null && isCurrent(envelope, versionOf(request), epoch.current() ?? 0)) {
      const hit = decode(request, envelope, dropBadBody);
      if (hit !== BAD) {
        metrics.hits.inc({ namespace: request.key.namespace });
        return hit;
      }
    }
    return readThrough(request, key, false);
  }

  /**
   * One round trip answers a hit, or takes the fill lease, or names its holder. Readers of one key
   * in this process share a load only through the lease token they saw in Redis: a reader that
   * starts after a write was acknowledged cannot see a lease taken before that write's
   * invalidation (it deleted it), so it can never join a load that may have read the old row.
   */
  async function readThrough(request: AnyRequest, key: string, ignoreEntry: boolean): Promise<Entry> {
    const label = { namespace: request.key.namespace };
    const token = newToken();
    // Registered before the script runs: once the lease exists, another reader may look it up.
    const flight = register(createFlight(), key, token);
    let reply: ReadReply;
    try {
      reply = await readScript(request, key, token, ignoreEntry);
    } catch {
      abandon(flight);
      releaseLate(key, token);
      metrics.bypasses.inc(label);
      return bypass(request, key);
    }
    if (reply.kind !== 'lease') abandon(flight);
    if (reply.kind !== 'hit' && reply.bad) metrics.badEntries.inc(label);

    if (reply.kind === 'hit') {
      const hit = decode(request, reply.envelope, dropBadBody);
      if (hit !== BAD) {
        metrics.hits.inc(label);
        return hit;
      }
      metrics.badEntries.inc(label);
      return readThrough(request, key, true);
    }
    metrics.misses.inc(label);
    if (reply.kind === 'lease') return fly(flight, () => lead(request, key, token));
    return follow(request, key, reply.holder);
  }

  async function readScript(request: AnyRequest, key: string, token: string, ignoreEntry: boolean): Promise<ReadReply> {
    const raw = await op('read', request.key.namespace, store, () =>
      runScript(store, READ, [key, leaseKey(prefix, key)], [token, t.leaseMs, versionOf(request), epoch.current() ?? 0, ignoreEntry ? 1 : 0]),
    );
    return parseReadReply(raw);
  }

  /** Holds the lease: load, then store only if no invalidation took the lease away meanwhile. */
  async function lead(request: AnyRequest, key: string, token: string): Promise<Entry> {
    // The epoch when the load starts, not when it ends: a bump during the load retires this value.
    const loadEpoch = epoch.current() ?? 0;
    let result: Entry;
    try {
      result = await load(request, metrics);
    } catch (err) {
      void release(request.key.namespace, key, token);
      throw err;
    }
    await fill(request, key, token, loadEpoch, result);
    return result;
  }

  async function fill(request: AnyRequest, key: string, token: string, loadEpoch: number, result: Entry): Promise<void> {
    const label = { namespace: request.key.namespace };
    const envelope = encodeEnvelope(versionOf(request), loadEpoch, result && { head: result.headJson, json: result.json });
    const ttlMs = jittered(result ? TTL_SECONDS[request.ttl] : NEGATIVE_TTL_SECONDS, TTL_JITTER);
    const script = options.unsafeSkipFillGuard ? UNGUARDED_FILL : FILL;
    try {
      const filled = await op('fill', request.key.namespace, store, () => runScript(store, script, [key, leaseKey(prefix, key)], [token, envelope, ttlMs]));
      if (Number(filled) !== 1) metrics.staleFillRejections.inc(label);
    } catch {
      // Counted by op(); the loaded value is still the answer.
    }
  }

  async function release(namespace: string, key: string, token: string): Promise<void> {
    try {
      await op('release', namespace, store, () => runScript(store, RELEASE, [leaseKey(prefix, key)], [token]));
    } catch {
      // The lease expires on its own.
    }
  }

  /**
   * A read that timed out may still run later and take the lease, which nobody would then fill.
   * Queued on the same connection, this runs after it and frees the lease; it is bounded and
   * unaccounted, since the timeout was already counted.
   */
  function releaseLate(key: string, token: string): void {
    bounded(runScript(store, RELEASE, [leaseKey(prefix, key)], [token]), t.leaseMs).catch(() => {});
  }

  /** Another reader holds the lease: share this process's wait for it, or start one. */
  async function follow(request: AnyRequest, key: string, holder: string | null): Promise<Entry> {
    if (holder === null) return load(request, metrics);
    const existing = flights.get(flightName(key, holder));
    if (existing) return resultOf(request, await existing.promise);
    const flight = register(createFlight(), key, holder);
    return fly(flight, () => awaitFill(request, key, flight));
  }

  /**
   * Polls briefly for the holder's value. If the lease comes free (the holder failed or its fill
   * was refused) this process takes it and loads; after `fillWaitMs` it loads without storing.
   */
  async function awaitFill(request: AnyRequest, key: string, flight: Flight): Promise<Entry> {
    const deadline = Date.now() + t.fillWaitMs;
    // Set where the wait ends for a reason of its own; left true, it ran out.
    let expired = true;
    for (let delay = 5; Date.now() + delay <= deadline && usable(); delay = Math.min(delay * 2, 50)) {
      await sleep(delay);
      const token = newToken();
      register(flight, key, token);
      let reply: ReadReply;
      try {
        reply = await readScript(request, key, token, false);
      } catch {
        // Had the read taken the lease after all, a reader seeing it must not join a load that
        // started before: drop the name, and this flight's own load starts only now.
        if (flights.get(flightName(key, token)) === flight) flights.delete(flightName(key, token));
        releaseLate(key, token);
        expired = false;
        break;
      }
      if (reply.kind === 'lease') return lead(request, key, token);
      if (reply.kind === 'hit') {
        const hit = decode(request, reply.envelope, dropBadBody);
        if (hit !== BAD) return hit;
        metrics.badEntries.inc({ namespace: request.key.namespace });
        expired = false;
        break;
      }
      const other = reply.holder === null ? undefined : flights.get(flightName(key, reply.holder));
      if (other && other !== flight) {
        const outcome = await other.promise;
        if (outcome.kind === 'value') return outcome.result;
        expired = false;
        break;
      }
    }
    if (expired && usable()) metrics.fillWaitsExpired.inc({ namespace: request.key.namespace });
    return load(request, metrics);
  }

  /**
   * With Redis out of use, concurrent reads of a key in this process still share one load. A local
   * invalidation drops the shared load so later reads start a new one; a write on another
   * instance cannot (Redis is how it would say so), which the decision record states.
   */
  function bypass(request: AnyRequest, key: string): Promise<Entry> {
    const existing = bypassFlights.get(key);
    if (existing) return existing;
    const shared = load(request, metrics).finally(() => {
      if (bypassFlights.get(key) === shared) bypassFlights.delete(key);
    });
    bypassFlights.set(key, shared);
    return shared;
  }

  /** A body that fails on first use is dropped, so one caller fails and the next read reloads. */
  function dropBadBody(request: AnyRequest): void {
    metrics.badEntries.inc({ namespace: request.key.namespace });
    void invalidate([request.key]);
  }

  // ---- flights --------------------------------------------------------------------------------

  function newToken(): string {
    tokenSeq += 1;
    return `${instance}.${tokenSeq.toString(36)}`;
  }

  function register(flight: Flight, key: string, token: string): Flight {
    const name = flightName(key, token);
    flights.set(name, flight);
    flight.names.push(name);
    return flight;
  }

  function unregister(flight: Flight): void {
    for (const name of flight.names) if (flights.get(name) === flight) flights.delete(name);
  }

  /** Its lease was never ours (or is in doubt): anyone who joined loads on their own. */
  function abandon(flight: Flight): void {
    unregister(flight);
    flight.settle({ kind: 'retry' });
  }

  async function fly(flight: Flight, produce: () => Promise<Entry>): Promise<Entry> {
    try {
      const result = await produce();
      flight.settle({ kind: 'value', result });
      return result;
    } catch (err) {
      flight.fail(err);
      throw err;
    } finally {
      unregister(flight);
    }
  }

  function resultOf(request: AnyRequest, outcome: Outcome): Promise<Entry> | Entry {
    return outcome.kind === 'value' ? outcome.result : load(request, metrics);
  }

  // ---- invalidation and recovery --------------------------------------------------------------

  async function invalidate(refs: readonly CacheKey[]): Promise<void> {
    const keys = refs.map((ref) => entryKey(prefix, ref));
    for (const key of keys) bypassFlights.delete(key);
    if (closed || keys.length === 0) return;
    // Tried even while the breaker is open. The breaker spares reads the wait for a Redis that may
    // be gone; but it also opens when only this process was too busy to read Redis's replies in
    // time, and then the other instances go on reading Redis, where this write's entries must go.
    // With the connection down, op() fails at once and the loss is made good by the epoch bump.
    const results = await Promise.allSettled(
      keys.map((key, i) => op('invalidate', refs[i]!.namespace, store, () => store.del(key, leaseKey(prefix, key)))),
    );
    if (results.some((r) => r.status === 'rejected')) {
      lossCount += 1;
      logger.debug({ keys }, 'cache invalidation lost; the epoch is bumped once Redis answers');
      scheduleRecovery(0);
    }
  }

  function invalidateAll(): void {
    if (closed) return;
    bypassFlights.clear();
    // Recorded as a lost invalidation: the same recovery that makes good a Redis outage bumps the epoch.
    lossCount += 1;
    scheduleRecovery(0);
  }

  let recoveryTimer: NodeJS.Timeout | undefined;
  let recoveryDue = Infinity;
  let recovering = false;

  function scheduleRecovery(delayMs: number): void {
    if (closed) return;
    const due = Date.now() + delayMs;
    if (recoveryTimer && due >= recoveryDue) return;
    clearTimeout(recoveryTimer);
    recoveryDue = due;
    recoveryTimer = setTimeout(() => {
      recoveryTimer = undefined;
      recoveryDue = Infinity;
      void recover();
    }, delayMs);
    recoveryTimer.unref();
  }

  /**
   * The half-open probe: both connections answer, and the epoch is bumped (after any loss) or
   * re-read, before a single read trusts Redis again. No request ever waits on a probe.
   */
  async function recover(): Promise<void> {
    if (closed || recovering) return;
    recovering = true;
    const lossesCovered = lossCount;
    let answered = false;
    breaker.probing();
    try {
      for (const client of new Set([main, store])) {
        if (client.status !== 'ready') throw new Error(`Redis connection is ${client.status}`);
        await bounded(client.ping(), t.opTimeoutMs);
      }
      if (lossesCovered > bumpedThrough) await epoch.bump();
      else await epoch.refresh();
      bumpedThrough = Math.max(bumpedThrough, lossesCovered);
      answered = true;
      breaker.recovered();
    } catch {
      metrics.errors.inc({ namespace: ALL, op: 'probe' });
      breaker.probeFailed();
    } finally {
      recovering = false;
    }
    // Still unusable after a good probe means an invalidation was lost meanwhile: go again now.
    if (!closed && !usable()) scheduleRecovery(answered ? 0 : PROBE_INTERVAL_MS);
  }

  // ---- wiring ---------------------------------------------------------------------------------

  const clients = [...new Set([main, store])];
  // A dropped connection opens the breaker at once, before any request pays a timeout for it.
  const onDrop = () => breaker.trip('Redis connection lost');
  const onReady = () => {
    if (breaker.state !== 'closed' || pendingBump()) scheduleRecovery(0);
  };
  for (const client of clients) {
    client.on('reconnecting', onDrop);
    client.on('ready', onReady);
  }

  const refreshTimer = setInterval(() => {
    if (breaker.state === 'closed') epoch.refresh().catch(() => {});
  }, t.epochRefreshMs);
  refreshTimer.unref();

  // The first epoch read waits for the connection, so a slow connect at boot is not an outage.
  const ready = connected(main)
    .then(() => epoch.refresh())
    .then(
      () => undefined,
      (err: unknown) => {
        breaker.trip(`cannot read the cache epoch: ${(err as Error).message}`);
        scheduleRecovery(PROBE_INTERVAL_MS);
      },
    );

  return {
    getOrLoad: getOrLoad as Cache['getOrLoad'],
    readAhead,
    invalidate,
    invalidateAll,
    ready,
    status: () => ({ disabled: false, breaker: breaker.state, epoch: epoch.current(), pendingEpochBump: pendingBump() }),
    async close() {
      if (closed) return;
      closed = true;
      clearTimeout(recoveryTimer);
      clearInterval(refreshTimer);
      for (const client of clients) {
        client.off('reconnecting', onDrop);
        client.off('ready', onReady);
      }
      await epoch.close();
    },
  };
}

function disabledCache(metrics: CacheMetrics): Cache {
  return {
    getOrLoad: ((request: AnyRequest) => {
      entryKey('', request.key);
      metrics.bypasses.inc({ namespace: request.key.namespace });
      return load(request, metrics);
    }) as Cache['getOrLoad'],
    readAhead: () => undefined,
    invalidate: async (refs) => {
      for (const ref of refs) entryKey('', ref);
    },
    invalidateAll: () => {},
    ready: Promise.resolve(),
    status: () => ({ disabled: true, breaker: 'closed', epoch: undefined, pendingEpochBump: false }),
    close: async () => {},
  };
}

// ---- Redis replies --------------------------------------------------------------------------

function parseReadReply(raw: unknown): ReadReply {
  if (!Array.isArray(raw)) throw new Error('unexpected cache read reply');
  const [kind, first, second] = raw as unknown[];
  if (kind === 'hit' && typeof first === 'string') return { kind: 'hit', envelope: first };
  if (kind === 'lease') return { kind: 'lease', bad: first === 'bad' };
  if (kind === 'held') return { kind: 'held', holder: typeof first === 'string' ? first : null, bad: second === 'bad' };
  throw new Error('unexpected cache read reply');
}

// ---- small helpers --------------------------------------------------------------------------

function createFlight(): Flight {
  let settle!: (outcome: Outcome) => void;
  let fail!: (err: unknown) => void;
  const promise = new Promise<Outcome>((resolve, reject) => {
    settle = resolve;
    fail = reject;
  });
  // The leader reports its own failure; followers see it through their own await.
  promise.catch(() => {});
  return { promise, names: [], settle, fail };
}

function flightName(key: string, token: string): string {
  return `${key}\n${token}`;
}


const CONNECT_WAIT_MS = 10_000;

/** Resolves once the client is ready, has failed its first attempt, or after CONNECT_WAIT_MS. */
function connected(client: Redis): Promise<void> {
  // `wait` is a lazy client: the first command connects it.
  if (client.status === 'ready' || client.status === 'wait') return Promise.resolve();
  return new Promise((resolve) => {
    const events = ['ready', 'reconnecting', 'end'] as const;
    const done = () => {
      clearTimeout(timer);
      for (const event of events) client.off(event, done);
      resolve();
    };
    const timer = setTimeout(done, CONNECT_WAIT_MS);
    timer.unref();
    for (const event of events) client.once(event, done);
  });
}

function jittered(seconds: number, jitter: number): number {
  return Math.max(1, Math.round(seconds * 1000 * (1 - jitter + Math.random() * 2 * jitter)));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function definedOnly(options: CacheOptions): Partial<CacheTimings> {
  const keys = ['opTimeoutMs', 'leaseMs', 'fillWaitMs', 'epochRefreshMs'] as const;
  return Object.fromEntries(keys.filter((k) => options[k] !== undefined).map((k) => [k, options[k]]));
}
