import { AppError } from '../errors.js';

/**
 * Counts route handlers that are still running. A handler outlives its request when the client
 * goes away (a timeout, a closed tab): the socket closes, but the handler may still be between
 * two statements of a write, with a cache invalidation to follow. Shutdown waits for this count
 * to reach zero before it closes Postgres and Redis under them; from the moment it starts waiting,
 * a handler that has not started yet (its request was still in a guard) is refused instead.
 */
export class InFlight {
  private count = 0;
  private waiters: (() => void)[] = [];
  private refusing = false;

  get size(): number {
    return this.count;
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.refusing) throw new AppError('service_unavailable', 'The server is shutting down; try again.', { retryAfter: 1 });
    this.count += 1;
    try {
      return await work();
    } finally {
      this.count -= 1;
      if (this.count === 0) for (const wake of this.waiters.splice(0)) wake();
    }
  }

  /** Refuses handlers from now on (503), and resolves when none is running. */
  drain(): Promise<void> {
    this.refusing = true;
    return this.idle();
  }

  /** Resolves when no handler is running (at once if none is). */
  idle(): Promise<void> {
    if (this.count === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}
