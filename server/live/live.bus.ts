import type { Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import { duplicateClient, onSubscriberResumed, quitRedis } from '../redis/redis.client.js';
import type { LiveBatch, LiveKeys } from './live.keys.js';
import type { LiveMetrics } from './live.metrics.js';
import type { LiveMessage } from './live.publisher.js';

export interface BusListener {
  /** A batch, in sequence order (a late one, numbered at or below the watermark, as it comes). */
  batch(batch: LiveBatch): void;
  /** A person's sessions were revoked somewhere. */
  revoked(userId: number): void;
  /** Events were missed (a gap in the sequence, a lost subscription): every stream resets. */
  gap(): void;
}

/** How long a batch waits for one numbered before it (published more slowly, or never: a publisher that failed). */
const HOLE_TIMEOUT_MS = 1_000;
const RESYNC_RETRY_MS = 500;

/**
 * The instance's one subscription to the live channel, on a connection of its own (one in
 * subscriber mode can run nothing else), shared by every open stream.
 *
 * Batches are numbered by one Redis counter, and each is in its replay streams before it is
 * announced; announcements of concurrent publishers may still arrive out of order. The bus hands
 * them on strictly in sequence, holding one that comes early until those before it arrive. So
 * the watermark (the last number handed on) splits every batch into "in the replay streams
 * already" (at or below it) and "still to come live" (above it), which is what lets a
 * reconnecting stream replay and then go live with no gap and no duplicate.
 */
export class LiveBus {
  /** The last batch handed on; unset until the first sync, and `g` 0 while no batch was ever numbered. */
  private mark: { g: number; t: number } | undefined;
  private synced = false;
  private readonly held = new Map<number, LiveBatch>();
  private holeTimer: NodeJS.Timeout | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly subscriber: Redis;

  constructor(
    /** A plain connection, for the sequence and the clock: the subscriber only listens. */
    private readonly main: Redis,
    private readonly keys: LiveKeys,
    private readonly logger: Logger,
    private readonly metrics: LiveMetrics,
    private readonly listener: BusListener,
  ) {
    this.subscriber = duplicateClient(main, { autoResubscribe: false, enableAutoPipelining: false });
    this.subscriber.on('error', (err: Error) => logger.debug({ err: err.message }, 'live subscriber error'));
    onSubscriberResumed(this.subscriber, () => this.resync());
    this.subscriber.on('close', () => {
      // Whatever is published until the next sync is not heard here.
      this.synced = false;
    });
    this.subscriber.on('message', (channel: string, message: string) => {
      if (channel === keys.channel) this.receive(message);
    });
  }

  /** The last batch handed on, or undefined before the subscription first came up. */
  get watermark(): { g: number; t: number } | undefined {
    return this.mark;
  }

  /** Subscribed and in step with the sequence. */
  get ready(): boolean {
    return this.synced;
  }

  /**
   * Subscribe, then read the sequence: a batch announced between the two is held and then handed
   * on (at or below the mark it counts as late, and streams opened before then still get it).
   */
  private resync(): void {
    clearTimeout(this.resyncTimer);
    if (this.closed || this.subscriber.status !== 'ready') return;
    this.subscriber
      .subscribe(this.keys.channel)
      .then(async () => {
        const [current, time] = await Promise.all([this.readSequence(), this.redisTime()]);
        const before = this.mark;
        if (!before || current > before.g) this.mark = { g: current, t: time };
        this.synced = true;
        if (before && current > before.g) {
          // Batches were announced while this instance was not listening.
          this.metrics.gaps.inc();
          this.logger.warn({ missed: current - before.g }, 'live subscription was down: open event streams reset');
          this.listener.gap();
        }
        this.drain();
      })
      .catch((err: unknown) => {
        this.logger.debug({ err: (err as Error).message }, 'live subscription sync failed; retrying');
        this.resyncTimer = setTimeout(() => this.resync(), RESYNC_RETRY_MS);
        this.resyncTimer.unref();
      });
  }

  private async readSequence(): Promise<number> {
    return Number((await this.main.get(this.keys.seq)) ?? 0);
  }

  private async redisTime(): Promise<number> {
    const [seconds, micros] = await this.main.time();
    return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  }

  private receive(raw: string): void {
    let message: LiveMessage;
    try {
      message = JSON.parse(raw) as LiveMessage;
    } catch {
      return;
    }
    if ('revoked' in message) {
      if (typeof message.revoked === 'number') this.listener.revoked(message.revoked);
      return;
    }
    if (!Number.isSafeInteger(message.g) || !Array.isArray(message.changes)) return;
    if (this.mark && this.synced && message.g <= this.mark.g) {
      this.listener.batch(message);
      return;
    }
    this.held.set(message.g, message);
    this.drain();
  }

  /** Hands on held batches that continue the sequence; waits a moment for a missing one, then gives up on it. */
  private drain(): void {
    if (!this.mark || !this.synced) return;
    // No batch was numbered when this instance synced: the first one heard starts the count.
    if (this.mark.g === 0 && this.held.size > 0) this.mark = { g: Math.min(...this.held.keys()) - 1, t: this.mark.t };
    for (const g of [...this.held.keys()].sort((a, b) => a - b)) {
      if (g > this.mark.g) break;
      // Announced before the sync read the sequence: in the replay streams, but streams already open expect it.
      this.listener.batch(this.held.get(g)!);
      this.held.delete(g);
    }
    let next = this.held.get(this.mark.g + 1);
    while (next) {
      this.held.delete(next.g);
      this.mark = { g: next.g, t: next.t };
      this.listener.batch(next);
      next = this.held.get(this.mark.g + 1);
    }
    clearTimeout(this.holeTimer);
    this.holeTimer = undefined;
    if (this.held.size > 0) {
      this.holeTimer = setTimeout(() => this.skipHole(), HOLE_TIMEOUT_MS);
      this.holeTimer.unref();
    }
  }

  private skipHole(): void {
    if (!this.mark || this.held.size === 0) return;
    const first = Math.min(...this.held.keys());
    this.metrics.gaps.inc();
    this.logger.warn({ from: this.mark.g + 1, to: first - 1 }, 'live updates missing from the sequence: open event streams reset');
    this.mark = { g: first - 1, t: this.held.get(first)!.t };
    this.listener.gap();
    this.drain();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.synced = false;
    clearTimeout(this.holeTimer);
    clearTimeout(this.resyncTimer);
    await quitRedis(this.subscriber);
  }
}
