import type { Logger } from '../logger.js';
import type { CacheMetrics } from '../metrics/metrics.js';

export type BreakerState = 'closed' | 'open' | 'half-open';

const GAUGE: Record<BreakerState, number> = { closed: 0, open: 1, 'half-open': 2 };

/**
 * Counts consecutive Redis failures and, past a threshold, stops the cache from calling Redis at
 * all, so requests stop paying the per-operation timeout. It only keeps the state and the log:
 * probing for Redis's return is the cache's job (it has to re-learn the epoch before reading).
 * Each outage is logged once when it opens and once when it closes.
 */
export interface Breaker {
  readonly state: BreakerState;
  succeeded(): void;
  failed(err: unknown): void;
  /** Opens at once (a connection dropped: no need to wait for requests to time out). */
  trip(reason: string): void;
  probing(): void;
  probeFailed(): void;
  /** Closes after a successful probe; `true` if it had been open. */
  recovered(): boolean;
}

export interface BreakerOptions {
  failureThreshold: number;
  logger: Logger;
  metrics: CacheMetrics;
  onOpen(): void;
}

export function createBreaker(options: BreakerOptions): Breaker {
  let state: BreakerState = 'closed';
  let failures = 0;
  let openedAt = 0;
  options.metrics.breakerState.set(0);

  const set = (next: BreakerState) => {
    state = next;
    options.metrics.breakerState.set(GAUGE[next]);
  };

  const open = (reason: string) => {
    if (state !== 'closed') return;
    set('open');
    openedAt = Date.now();
    options.logger.warn(
      { reason },
      'cache unavailable: cached reads go straight to the database until Redis answers again',
    );
    options.onOpen();
  };

  return {
    get state() {
      return state;
    },
    succeeded() {
      if (state === 'closed') failures = 0;
    },
    failed(err) {
      failures += 1;
      if (failures >= options.failureThreshold) open(err instanceof Error ? err.message : String(err));
    },
    trip: open,
    probing() {
      if (state === 'open') set('half-open');
    },
    probeFailed() {
      if (state === 'half-open') set('open');
    },
    recovered() {
      failures = 0;
      if (state === 'closed') return false;
      set('closed');
      options.logger.info({ outageMs: Date.now() - openedAt }, 'cache available again');
      return true;
    },
  };
}
