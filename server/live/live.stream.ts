import type { Response } from 'express';
import type { User } from '../../shared/schemas/users.js';
import { actorFromSession, type Actor } from '../access/actor.js';
import type { SessionAccess } from '../auth/session.store.js';
import { eventId, type LiveBatch } from './live.keys.js';
import { eventsFor, frame, type LiveEvent } from './live.events.js';

/** What a stream needs from the rest of the app, bound to its session by the live service. */
export interface StreamOwner {
  /** The stream's session as it is now: its access, or null once it was revoked or ran out. */
  session(): Promise<SessionAccess | null>;
  /** A person as stored now, or null. */
  loadUser(id: number): Promise<User | null>;
}

/** Work shared by every stream a batch reaches: a person named in it is loaded once per instance, not once per stream. */
export interface BatchContext {
  once<T>(key: string, load: () => Promise<T>): Promise<T>;
  /** The framed text of what a batch shows one kind of viewer, made once for all streams that see the same. */
  framed(key: string, make: () => string): string;
}

export function batchContext(): BatchContext {
  const started = new Map<string, Promise<unknown>>();
  const frames = new Map<string, string>();
  return {
    framed(key, make) {
      let text = frames.get(key);
      if (text === undefined) frames.set(key, (text = make()));
      return text;
    },
    once<T>(key: string, load: () => Promise<T>): Promise<T> {
      let p = started.get(key) as Promise<T> | undefined;
      if (!p) {
        p = load();
        started.set(key, p);
      }
      return p;
    },
  };
}

type Pending = { batch: LiveBatch; ctx: BatchContext } | { reset: { g: number; t: number }; announce: boolean };

/** Batches a stream may have waiting behind a replay or an access re-read before it counts as stuck. */
const MAX_PENDING = 512;

export type StreamEnd = 'session.ended' | 'shutdown' | 'slow' | 'error' | 'client';

export interface StreamHost {
  bufferBytes: number;
  /** Counts the events written. */
  wrote(events: readonly LiveEvent[]): void;
  ended(stream: LiveStream, why: StreamEnd): void;
}

/**
 * One open event stream. Its access is the session's, re-read whenever a change names its person
 * (before any later event is delivered), and its session is re-checked on every heartbeat and
 * whenever that person's sessions are revoked. Batches arrive in sequence order; while the stream
 * is busy (replaying, re-reading its access) they wait in a bounded queue.
 */
export class LiveStream {
  readonly userId: number;
  private access: Actor;
  /** Live batches numbered at or below this are the replay's business (or the client has them). */
  after = 0;
  private readonly queue: Pending[] = [];
  /** Until `begin`, and while an item waits for a read: new items queue. */
  private busy = true;
  private checking = false;
  closed = false;

  constructor(
    private readonly res: Response,
    access: SessionAccess,
    private readonly owner: StreamOwner,
    private readonly host: StreamHost,
  ) {
    this.userId = access.userId;
    this.access = actorFromSession(access);
  }

  /** A live batch from the bus. */
  offer(batch: LiveBatch, ctx: BatchContext): void {
    if (this.closed || batch.g <= this.after) return;
    this.enqueue({ batch, ctx });
  }

  /** Events were missed: the client refetches what it shows. */
  reset(mark: { g: number; t: number }): void {
    if (!this.closed) this.enqueue({ reset: mark, announce: true });
  }

  /**
   * Ends the replay: sends the replayed batches (or a reset), then the id of `mark` (so a
   * reconnect asks from there), then whatever arrived live meanwhile.
   */
  begin(replayed: readonly LiveBatch[] | 'reset', mark: { g: number; t: number }): void {
    const head: Pending[] =
      replayed === 'reset'
        ? [{ reset: mark, announce: true }]
        : [...replayed.map((batch) => ({ batch, ctx: batchContext() })), { reset: mark, announce: false }];
    // Live batches that arrived while the replay was read, but for those the client already has:
    // one resuming from an id this instance had not reached yet (`after` was raised to it).
    const live = this.queue.filter((item) => !('batch' in item) || item.batch.g > this.after);
    this.queue.length = 0;
    this.queue.push(...head, ...live);
    void this.drain();
  }

  private enqueue(item: Pending): void {
    if (this.busy) {
      if (this.queue.length >= MAX_PENDING) return this.end('slow');
      this.queue.push(item);
      return;
    }
    const wait = this.handle(item);
    if (wait) {
      this.busy = true;
      void wait.then(() => this.drain());
    }
  }

  /** Works through queued items in order; new ones join the queue meanwhile. */
  private async drain(): Promise<void> {
    this.busy = true;
    while (this.queue.length > 0 && !this.closed) {
      const wait = this.handle(this.queue.shift()!);
      if (wait) await wait;
    }
    this.busy = false;
  }

/** Delivers one item; returns a promise only when it has to wait (an access re-read). */
  private handle(item: Pending): Promise<void> | undefined {
    if (this.closed) return undefined;
    if ('reset' in item) {
      const id = eventId(item.reset.g, item.reset.t);
      // Without an event, an `id:` line still moves the browser's Last-Event-ID (the HTML standard's dispatch step 1).
      if (item.announce) this.send(id, [{ name: 'reset', data: {} }]);
      else this.write(`id: ${id}\n\n`, []);
      return undefined;
    }
    const { batch, ctx } = item;
    const own = batch.changes.some((c) => c.kind === 'user' && c.userId === this.userId);
    if (!own) {
      this.deliver(batch, ctx, []);
      return undefined;
    }
    return this.refresh(ctx).then(
      (me) => {
        if (me) this.deliver(batch, ctx, [{ name: 'me', data: { user: me } }]);
      },
      () => this.end('error'),
    );
  }

  private deliver(batch: LiveBatch, ctx: BatchContext, extra: LiveEvent[]): void {
    const events: LiveEvent[] = [];
    // Which changes this viewer gets, and as what: streams that get the same share one framed text.
    let key = extra.length > 0 ? `me:${this.userId}` : '';
    batch.changes.forEach((change, i) => {
      const event = eventsFor(this.access, change);
      if (!event) return;
      events.push(event);
      key += `,${i}${event.name}`;
    });
    events.push(...extra);
    if (events.length === 0) return;
    this.write(
      ctx.framed(key, () => frame(eventId(batch.g, batch.t), events)),
      events,
    );
  }

  /** Re-reads the session and the person (loaded once per instance for the batch); null when the stream ended. */
  private async refresh(ctx: BatchContext): Promise<User | null> {
    const [session, user] = await Promise.all([this.owner.session(), ctx.once(`user:${this.userId}`, () => this.owner.loadUser(this.userId))]);
    if (!session || !user || !user.active) {
      this.end('session.ended');
      return null;
    }
    // The stored person is the authority: the session's copy of their access follows it.
    this.access = actorFromSession({ userId: user.id, role: user.role, locationIds: user.locationIds });
    return user;
  }

  /** On every heartbeat and when the person's sessions were revoked: is the session still there? */
  check(): void {
    if (this.closed || this.checking) return;
    this.checking = true;
    this.owner.session().then(
      (session) => {
        this.checking = false;
        if (!session) this.end('session.ended');
      },
      // Redis did not answer: the next heartbeat asks again.
      () => {
        this.checking = false;
      },
    );
  }

  heartbeat(): void {
    this.write(':\n\n', []);
    this.check();
  }

  private send(id: string, events: LiveEvent[]): void {
    this.write(frame(id, events), events);
  }

  /** Writes unless the client is not keeping up: past the buffer bound it is dropped, never buffered further. */
  write(chunk: string, events: readonly LiveEvent[]): void {
    if (this.closed) return;
    if (this.res.writableLength + chunk.length > this.host.bufferBytes) return this.end('slow');
    this.res.write(chunk);
    if (events.length > 0) this.host.wrote(events);
  }

  /** The client went away (or the connection was cut). */
  detach(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue.length = 0;
    this.host.ended(this, 'client');
  }

  /** Closes the stream: with a last event, a reconnect hint, or (a slow client) by cutting it. */
  end(why: StreamEnd, retryMs = 0): void {
    if (this.closed) return;
    if (why === 'session.ended') {
      const ended: LiveEvent[] = [{ name: 'session.ended', data: {} }];
      this.write(frame(undefined, ended), ended);
    }
    if (why === 'shutdown') this.write(`retry: ${retryMs}\n\n`, []);
    // Too slow even for that last line: write() has cut the stream already.
    if (this.closed) return;
    this.closed = true;
    this.queue.length = 0;
    if (why === 'slow' || why === 'error') this.res.destroy();
    else this.res.end();
    this.host.ended(this, why);
  }
}
