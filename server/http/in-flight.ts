/**
 * Counts route handlers that are still running. A handler outlives its request when the client
 * goes away (a timeout, a closed tab): the socket closes, but the handler may still be between
 * two statements of a write, with a cache invalidation to follow. Shutdown waits for this count
 * to reach zero before it closes Postgres and Redis under them.
 */
export class InFlight {
  private count = 0;
  private waiters: (() => void)[] = [];

  get size(): number {
    return this.count;
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    this.count += 1;
    try {
      return await work();
    } finally {
      this.count -= 1;
      if (this.count === 0) for (const wake of this.waiters.splice(0)) wake();
    }
  }

  /** Resolves when no handler is running (at once if none is). */
  idle(): Promise<void> {
    if (this.count === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}
