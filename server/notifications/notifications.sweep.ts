import { NOTIFICATION_RETENTION_DAYS } from '../../shared/schemas/notifications.js';
import type { Logger } from '../logger.js';
import type { NotificationsRepository } from './notifications.repository.js';

/** How often each instance sweeps; every instance does, and they never get in each other's way. */
export const SWEEP_INTERVAL_MS = 60 * 60_000;
const BATCH = 1000;

export interface Sweeper {
  /** Removes every notification past its retention, a batch at a time, and stores the status of requests that expired; answers how many notifications went. */
  runOnce(now?: Date): Promise<number>;
  /** Sweeps soon after start and then every interval, until `stop`. */
  start(): void;
  stop(): void;
}

/**
 * Notifications are kept 30 days (API.md). Each server instance sweeps older ones away by itself:
 * deletes in batches, skipping rows another instance's sweep holds (docs/decisions/028), so
 * several instances sweeping at once neither wait for each other nor fail.
 */
export function createSweeper(
  { notifications: repo, settleRequests }: { notifications: NotificationsRepository; settleRequests: () => Promise<number> },
  logger: Logger,
  intervalMs = SWEEP_INTERVAL_MS,
): Sweeper {
  let timer: NodeJS.Timeout | undefined;
  let first: NodeJS.Timeout | undefined;
  let running: Promise<number> | undefined;
  const log = logger.child({ component: 'notifications-sweep' });

  async function runOnce(now = new Date()): Promise<number> {
    const cutoff = new Date(now.getTime() - NOTIFICATION_RETENTION_DAYS * 86_400_000);
    let removed = 0;
    for (;;) {
      const n = await repo.deleteOlderThan(cutoff, BATCH);
      removed += n;
      if (n < BATCH) break;
    }
    // Shift requests that were never answered before their shift started are stored as expired
    // (the API already answers them so; this keeps the stored rows in step).
    const settled = await settleRequests();
    if (removed > 0 || settled > 0) log.info({ removed, settled }, 'removed notifications past their retention; stored expired shift requests');
    return removed;
  }

  const tick = () => {
    if (running) return;
    running = runOnce()
      .catch((err: unknown) => {
        // The next tick tries again; a row kept a little longer is never listed (the reads skip it).
        log.warn({ err: (err as Error).message }, 'notification sweep failed');
        return 0;
      })
      .finally(() => (running = undefined));
  };

  return {
    runOnce,
    start() {
      if (timer) return;
      // Spread instances that start together; the first sweep comes within a minute of start.
      first = setTimeout(tick, 5_000 + Math.floor(Math.random() * 55_000));
      first.unref();
      timer = setInterval(tick, intervalMs);
      timer.unref();
    },
    stop() {
      clearTimeout(first);
      clearInterval(timer);
      timer = first = undefined;
    },
  };
}
