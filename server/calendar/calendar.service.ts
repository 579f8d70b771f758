import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { MAX_ID } from '../../shared/schemas/common.js';
import type { CalendarFeed } from '../../shared/schemas/calendar.js';
import type { Actor } from '../access/actor.js';
import { calendarPolicy, ensureAllowed, ensureVisible, userPolicy } from '../access/policy.js';
import type { Attempt, AttemptLimiter, Limit } from '../auth/attempt-limiter.js';
import { clientNetwork } from '../auth/client-network.js';
import type { Cache } from '../cache/cache.js';
import { calendarFeedKey, type ChangeFeed } from '../changes/changes.js';
import type { WritePath } from '../changes/write-path.js';
import { AppError, notFound } from '../errors.js';
import type { UsersService } from '../users/users.service.js';
import type { CalendarRepository } from './calendar.repository.js';
import { renderCalendar } from './calendar.ics.js';

/**
 * Calendar feeds (docs/decisions/029-calendar-feeds.md). A feed's token is `<userId>.<secret>`:
 * 256 random bits, of which only the SHA-256 is stored. The rendered feed is cached by the
 * person's id, with the hash of the live token ahead of it in the entry, so a calendar app's poll
 * costs a Redis read and a hash, and never touches Postgres while the entry lives; a new token
 * invalidates the entry, and the old token then finds a hash that is not its own (404).
 */

const DAY_MS = 86_400_000;
/** The feed's window (API.md): published shifts from 30 days back to 90 days ahead. */
const WINDOW = { backMs: 30 * DAY_MS, aheadMs: 90 * DAY_MS };
/** Shifts that ended this long ago are in no feed; a feed loaded up to an hour ago reaches this far back. */
const OLDEST_SHOWN_MS = WINDOW.backMs + DAY_MS;

const TOKEN = new RegExp(`^([1-9][0-9]{0,9})\\.([A-Za-z0-9_-]{43})$`);

/**
 * Unknown and malformed tokens are counted per client address: guessing a 256-bit secret is
 * hopeless anyway, this keeps a scanner from costing a database read per try. A calendar app
 * polling an address that has been replaced makes one failure an hour.
 */
export const FEED_MISSES_PER_ADDRESS: Limit = { name: 'calendar:address', max: 30, windowMs: 15 * 60_000 };

const FeedEntry = z.strictObject({
  tokenHash: z.string().regex(/^[0-9a-f]{64}$/),
  ics: z.string(),
});
/** What a poll checks before it reads the feed's body. */
const FeedHead = FeedEntry.pick({ tokenHash: true });

const hashOf = (token: string) => createHash('sha256').update(token).digest('hex');
const sameHash = (a: string, b: string) => timingSafeEqual(Buffer.from(a, 'hex'), Buffer.from(b, 'hex'));

export interface CalendarServiceDeps {
  repo: CalendarRepository;
  cache: Cache;
  users: UsersService;
  writes: WritePath;
  changes: ChangeFeed;
  limiter: AttemptLimiter;
}

export function createCalendarService({ repo, cache, users, writes, changes, limiter }: CalendarServiceDeps) {
  /** The feed's body and the hash of its live token; null without a feed, or for a deactivated person. */
  async function loadFeed(userId: number): Promise<z.input<typeof FeedEntry> | null> {
    const feed = await repo.findFeed(userId);
    if (!feed?.active) return null;
    const now = Date.now();
    const shifts = await repo.publishedShifts(userId, new Date(now - WINDOW.backMs), new Date(now + WINDOW.aheadMs));
    return { tokenHash: feed.tokenHash, ics: renderCalendar(shifts) };
  }

  // What the loader above copies, declared beside it (DESIGN.md rule 10): the person's shifts at
  // every location (a shift moving to or from them included), whether they are active, and the
  // name, address and zone of the locations their shifts are at.
  changes.copies('user.shifts', async (userId) => [calendarFeedKey(userId)]);
  changes.copies('user.active', async (userId) => [calendarFeedKey(userId)]);
  changes.copies('location.details', async (locationId) =>
    (await repo.feedHoldersAt(locationId, new Date(Date.now() - OLDEST_SHOWN_MS))).map(calendarFeedKey),
  );

  /** The feed the token opens, or null: unknown, replaced, malformed and deactivated alike. */
  async function open(token: string): Promise<string | null> {
    const match = TOKEN.exec(token);
    const userId = match ? Number(match[1]) : 0;
    if (!match || userId > MAX_ID) return null;
    const entry = await cache.getOrLoad({
      key: calendarFeedKey(userId),
      ttl: 'LONG',
      schema: FeedEntry,
      head: FeedHead,
      verify: 'version',
      load: () => loadFeed(userId),
    });
    if (entry === null || !sameHash(entry.head.tokenHash, hashOf(token))) return null;
    return entry.value().ics;
  }

  /**
   * Admits the request under the per-address limit of misses. The limit guards cost, not secrecy:
   * with its Redis unreachable the feed is still served (the cache falls through to Postgres).
   */
  async function admit(address: string): Promise<Attempt | null> {
    try {
      return await limiter.begin([[FEED_MISSES_PER_ADDRESS, clientNetwork(address)]]);
    } catch (err) {
      if (err instanceof AppError) throw err;
      return null;
    }
  }

  const settle = (step: Promise<void> | undefined) => step?.catch(() => undefined);

  return {
    /** A new secret address for the person's feed; the previous one stops answering at once. */
    async renew(actor: Actor, userId: number): Promise<CalendarFeed> {
      const user = await users.find(userId);
      ensureVisible(user !== null && userPolicy.view(actor, user), 'user');
      ensureAllowed(calendarPolicy.makeFeed(actor, userId), 'Only the person themselves makes a calendar feed of their shifts.');
      const token = `${userId}.${randomBytes(32).toString('base64url')}`;
      await writes.run(async (tx, touched) => {
        await repo.replace(tx, userId, hashOf(token));
        touched.add({ kind: 'calendar-feed', userId });
      });
      return { url: `/api/calendar/${token}.ics` };
    },

    /** The feed's iCalendar text; 404 for any token that opens none, however it is wrong. */
    async read(token: string, address: string): Promise<string> {
      const attempt = await admit(address);
      try {
        const ics = await open(token);
        if (ics === null) {
          await settle(attempt?.failed());
          throw notFound('calendar feed');
        }
        await settle(attempt?.succeeded([]));
        return ics;
      } finally {
        await settle(attempt?.end());
      }
    },
  };
}

export type CalendarService = ReturnType<typeof createCalendarService>;
