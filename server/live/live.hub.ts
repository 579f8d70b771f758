import type { Logger } from '../logger.js';
import type { BusListener, LiveBus } from './live.bus.js';
import type { LiveBatch } from './live.keys.js';
import type { LiveMetrics } from './live.metrics.js';
import type { LiveEvent } from './live.events.js';
import { batchContext, type LiveStream, type StreamEnd, type StreamHost } from './live.stream.js';

export interface HubOptions {
  heartbeatMs: number;
  bufferBytes: number;
}

/** Reconnect hints at shutdown are spread over this range, so the browsers of a stopping instance do not all arrive elsewhere at once. */
const SHUTDOWN_RETRY_MS = { min: 500, spread: 2_500 };

/**
 * The event streams open on this instance: fan-out of each batch from the bus, heartbeats (one
 * timer for all of them), and their end at shutdown.
 */
export class LiveHub implements BusListener, StreamHost {
  private readonly streams = new Set<LiveStream>();
  private readonly byUser = new Map<number, Set<LiveStream>>();
  private readonly heartbeat: NodeJS.Timeout;
  private closing = false;
  readonly bufferBytes: number;

  constructor(
    private readonly bus: Pick<LiveBus, 'watermark' | 'ready'>,
    private readonly metrics: LiveMetrics,
    private readonly logger: Logger,
    options: HubOptions,
  ) {
    this.bufferBytes = options.bufferBytes;
    this.heartbeat = setInterval(() => {
      for (const stream of this.streams) stream.heartbeat();
      this.countWritten();
    }, options.heartbeatMs);
    this.heartbeat.unref();
  }

  get size(): number {
    return this.streams.size;
  }

  /** New streams are taken while subscribed and not shutting down. */
  get accepting(): boolean {
    return !this.closing && this.bus.ready && this.bus.watermark !== undefined;
  }

  /**
   * Adds a stream and returns the watermark it starts from: batches above it reach the stream
   * live; those at or below are for its replay.
   */
  add(stream: LiveStream): { g: number; t: number } {
    const mark = this.bus.watermark!;
    stream.after = mark.g;
    this.streams.add(stream);
    let mine = this.byUser.get(stream.userId);
    if (!mine) this.byUser.set(stream.userId, (mine = new Set()));
    mine.add(stream);
    this.metrics.streams.set(this.streams.size);
    return mark;
  }

  ended(stream: LiveStream, why: StreamEnd): void {
    if (!this.streams.delete(stream)) return;
    const mine = this.byUser.get(stream.userId);
    mine?.delete(stream);
    if (mine?.size === 0) this.byUser.delete(stream.userId);
    this.metrics.streams.set(this.streams.size);
    if (why === 'slow') {
      this.metrics.dropped.inc();
      this.logger.info({ userId: stream.userId }, 'event stream dropped: the client is not reading');
    }
  }

  /** Events written since the counter was last brought up to date: a labelled increment per event per stream costs more than the write. */
  private readonly written = new Map<string, number>();

  wrote(events: readonly LiveEvent[]): void {
    for (const event of events) this.written.set(event.name, (this.written.get(event.name) ?? 0) + 1);
  }

  private countWritten(): void {
    for (const [event, n] of this.written) this.metrics.events.inc({ event }, n);
    this.written.clear();
  }

  batch(batch: LiveBatch): void {
    const ctx = batchContext();
    for (const stream of this.streams) stream.offer(batch, ctx);
    this.countWritten();
  }

  revoked(userId: number): void {
    for (const stream of this.byUser.get(userId) ?? []) stream.check();
  }

  gap(): void {
    const mark = this.bus.watermark;
    if (!mark) return;
    for (const stream of this.streams) stream.reset(mark);
  }

  /** Shutdown: refuses new streams and ends the open ones with a hint to reconnect (elsewhere) shortly. */
  close(): void {
    this.closing = true;
    clearInterval(this.heartbeat);
    for (const stream of [...this.streams]) {
      stream.end('shutdown', SHUTDOWN_RETRY_MS.min + Math.floor(Math.random() * SHUTDOWN_RETRY_MS.spread));
    }
  }
}
