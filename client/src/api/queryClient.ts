import { MutationCache, onlineManager, QueryCache, QueryClient } from '@tanstack/react-query';
import { setReachable } from './connection.js';
import { isApiError } from './errors.js';

/** A longer `Retry-After` than this is left to the person (the error says when to try again). */
const LONGEST_WAIT_SECONDS = 30;
/** Tries after the first, for a read and for a write. */
const RETRIES = 2;

/** A 503 says nothing was done and when to come back: worth waiting for, if not too long. */
const busy = (err: unknown) => isApiError(err, 'service_unavailable') && (err.retryAfter ?? 1) <= LONGEST_WAIT_SECONDS;

/** As long as the server's `Retry-After` says; otherwise 1 s, then 2 s. */
export function retryDelayMs(failures: number, err: unknown): number {
  if (isApiError(err) && err.retryAfter) return err.retryAfter * 1000;
  return 1000 * 2 ** Math.max(0, failures - 1);
}

/** Any answer from the server, an error status included, shows it can be reached. */
function noteReachability(err: unknown | null): void {
  setReachable(!isApiError(err, 'network'));
}

/**
 * Every request runs at once, online or not ('always'): TanStack Query's default would hold it
 * while the browser says it is offline, leaving a button on "Saving…" with nothing said. Instead
 * it fails, the screen says so, the connection banner says why, and the person can try again.
 */
export function createQueryClient(): QueryClient {
  const client = new QueryClient({
    queryCache: new QueryCache({ onError: noteReachability, onSuccess: () => noteReachability(null) }),
    mutationCache: new MutationCache({ onError: noteReachability, onSuccess: () => noteReachability(null) }),
    defaultOptions: {
      queries: {
        // Every screen revalidates what it shows when it opens, so a revoked session is noticed on
        // the next step a person takes, not some seconds later.
        staleTime: 0,
        networkMode: 'always',
        // Retrying cannot turn a refusal into an answer; only outages and dropped connections.
        retry: (count, err) => count < RETRIES && (busy(err) || isApiError(err, 'network')),
        retryDelay: retryDelayMs,
      },
      mutations: {
        networkMode: 'always',
        // Only a 503, which the server answers before acting. A write whose connection dropped
        // may have gone through: the person decides whether to send it again.
        retry: (count, err) => count < RETRIES && busy(err),
        retryDelay: retryDelayMs,
      },
    },
  });
  // Back online, whatever failed on screen for want of a connection loads again by itself.
  onlineManager.subscribe((online) => {
    if (online) void client.refetchQueries({ type: 'active', predicate: (query) => query.state.status === 'error' });
  });
  return client;
}
