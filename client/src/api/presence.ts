import { useEffect, useState } from 'react';
import { PRESENCE_TTL_MS } from '../../../shared/schemas/presence.js';
import { http } from './http.js';
import type { PresentEditor, SchedulePresence } from './types.js';

/** How often an open week says it is still open: three times within the server's 45 s, so one lost request shows nothing. */
export const PRESENCE_BEAT_MS = PRESENCE_TTL_MS / 3;

const presencePath = (scheduleId: number) => `/schedules/${scheduleId}/presence`;

/**
 * Presence requests go out one after another, in the order they were made: a week left and opened
 * again at once (StrictMode's second mount, a step back to the same week) must not have its leave
 * land after the enter that followed it.
 */
let turn: Promise<unknown> = Promise.resolve();
function inTurn<T>(send: () => Promise<T>): Promise<T> {
  const next = turn.then(send);
  turn = next.catch(() => undefined);
  return next;
}

/**
 * The week is closed. Sent with `keepalive`, so it goes through while the page is being left; a
 * session that has just ended (logging out leaves the planner) makes it a 401 that changes nothing.
 */
const leave = (scheduleId: number) => http.delete(presencePath(scheduleId), undefined, { keepalive: true, allowUnauthenticated: true });

/**
 * Who else has this week open in the planner (never the caller). While the page is shown it says
 * the week is open, at once and every PRESENCE_BEAT_MS, and again as soon as a hidden page is
 * shown; leaving the week or the page says it is closed. A request that fails shows nobody: it is
 * a hint, and the next one tries again.
 */
export function usePresence(scheduleId: number): PresentEditor[] {
  const [editors, setEditors] = useState<PresentEditor[]>([]);

  useEffect(() => {
    let stopped = false;
    let sending = false;
    let timer: ReturnType<typeof setTimeout> | undefined;

    const beat = () => {
      clearTimeout(timer);
      // A hidden page stops renewing: it drops off others' screens within 45 s, and comes back when shown.
      if (stopped || sending || document.visibilityState !== 'visible') return;
      sending = true;
      inTurn(() => http.put<SchedulePresence>(presencePath(scheduleId), undefined))
        .then(
          (presence) => !stopped && setEditors(presence.editors),
          () => !stopped && setEditors([]),
        )
        .finally(() => {
          sending = false;
          if (!stopped) timer = setTimeout(beat, PRESENCE_BEAT_MS);
        });
    };
    const shown = () => {
      if (document.visibilityState === 'visible') beat();
    };
    // Closing the tab or going to another site: no unmount runs, so say it here.
    const gone = () => void leave(scheduleId).catch(() => undefined);

    document.addEventListener('visibilitychange', shown);
    window.addEventListener('pagehide', gone);
    beat();
    return () => {
      stopped = true;
      clearTimeout(timer);
      document.removeEventListener('visibilitychange', shown);
      window.removeEventListener('pagehide', gone);
      inTurn(() => leave(scheduleId)).catch(() => undefined);
    };
  }, [scheduleId]);

  return editors;
}
