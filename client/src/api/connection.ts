import { useSyncExternalStore } from 'react';

/**
 * Whether the server could be reached, as the last request to settle found it: a request that got
 * no answer at all sets it, any answer (an error status included) clears it. With the browser's
 * own online flag this decides the connection banner (ui/ConnectionBanner.tsx).
 */
let unreachable = false;
const listeners = new Set<() => void>();

export function setReachable(reachable: boolean): void {
  if (unreachable === !reachable) return;
  unreachable = !reachable;
  for (const listener of listeners) listener();
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  window.addEventListener('online', listener);
  window.addEventListener('offline', listener);
  return () => {
    listeners.delete(listener);
    window.removeEventListener('online', listener);
    window.removeEventListener('offline', listener);
  };
}

export type Connection = 'online' | 'offline' | 'unreachable';

const current = (): Connection => (!navigator.onLine ? 'offline' : unreachable ? 'unreachable' : 'online');

export const useConnection = (): Connection => useSyncExternalStore(subscribe, current);
