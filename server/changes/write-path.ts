import type { Database, Transaction } from '../db/client.js';
import { isConcurrencyAbort } from '../db/errors.js';
import { AppError } from '../errors.js';
import type { Change, ChangeFeed } from './changes.js';

/** Collects what a write touched; it takes effect only if the transaction commits. */
export interface Touched {
  add(...changes: Change[]): void;
}

export interface WritePath {
  /**
   * Runs `work` in one Postgres transaction: the change and its version bumps commit together or
   * not at all. After the commit, what `work` declared through `touched` drives the cache
   * invalidation and the live events (changes.ts). A failure before the commit changes nothing;
   * nothing after it fails the request.
   */
  run<T>(work: (tx: Transaction, touched: Touched) => Promise<T>): Promise<T>;
}

const ATTEMPTS = 3;

export function createWritePath(db: Database, feed: ChangeFeed): WritePath {
  return {
    async run(work) {
      for (let attempt = 1; ; attempt++) {
        const changes: Change[] = [];
        let worked = false;
        let result: Awaited<ReturnType<typeof work>>;
        try {
          result = await db.transaction(async (tx) => {
            const value = await work(tx, { add: (...more) => changes.push(...more) });
            worked = true;
            return value;
          });
        } catch (err) {
          // The work was done and COMMIT itself failed (the connection died on it): whether it
          // committed is unknown, and an entry dropped for nothing costs only a reload.
          if (worked) await feed.invalidate(changes);
          // An AppError is an answer already (one may carry a deadlock as its cause, retried below it).
          if (err instanceof AppError || !isConcurrencyAbort(err)) throw err;
          // Postgres aborted the whole transaction to settle a race (a deadlock between two
          // people's overlapping shifts in two weeks, say); sent again it gets a real answer.
          if (attempt >= ATTEMPTS) throw new AppError('conflict', 'A concurrent change got in the way; send the request again.', { cause: err });
          continue;
        }
        await feed.committed(changes);
        return result;
      }
    },
  };
}
