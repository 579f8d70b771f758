import { useQueryClient, type Query, type QueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { reportUnauthenticated } from './http.js';
import { keys } from './keys.js';
import type { Schedule, ScheduleSummary, User } from './types.js';

/** `schedule` event data (API.md, Live updates). */
interface ScheduleEvent {
  id: number;
  locationId: number;
  weekStart: string;
  status: 'draft' | 'published';
  version: number;
}

/**
 * Events arriving within this window are answered together: a burst of edits to one week (a copy,
 * a manager working fast, several instances replaying) costs one refetch per query, not one per event.
 * Short enough that a change shows on other screens well within a second.
 */
export const BURST_MS = 150;
/** After the stream failed for good (a 503 or a network error EventSource gives up on), try again. */
const REOPEN_MS = 3_000;

const isScheduleList = (q: Query) => q.queryKey[0] === keys.schedules[0] && q.queryKey[1] === 'list';
const listLocation = (q: Query) => (q.queryKey[2] as { locationId?: number } | undefined)?.locationId;

/** What a burst of events asks to be loaded again. */
class Pending {
  schedules = new Set<number>();
  locations = new Set<number>();
  allLists = false;
  userShifts = false;
  /** A notification arrived: the bell, the inbox and the shift requests it may be about. */
  inbox = false;
  everything = false;

  get empty() {
    return !this.everything && !this.userShifts && !this.inbox && this.schedules.size === 0 && this.locations.size === 0 && !this.allLists;
  }
}

/** True when every cached copy of this schedule is already at the event's version (typically our own write). */
function alreadyCurrent(queryClient: QueryClient, event: ScheduleEvent): boolean {
  const one = queryClient.getQueryData<Schedule>(keys.schedule(event.id));
  if (one && one.version < event.version) return false;
  const lists = queryClient.getQueryCache().findAll({ predicate: (q) => isScheduleList(q) && listLocation(q) === event.locationId });
  for (const list of lists) {
    const entry = (list.state.data as ScheduleSummary[] | undefined)?.find((s) => s.id === event.id);
    // A list without the week (just created or published) or with an older copy must load again.
    if (!entry || entry.version < event.version || entry.status !== event.status) return false;
  }
  return Boolean(one) || lists.length > 0;
}

function flush(queryClient: QueryClient, pending: Pending) {
  if (pending.everything) {
    // Active queries (what the screen shows) load now; the rest when next shown.
    void queryClient.invalidateQueries();
    return;
  }
  for (const id of pending.schedules) void queryClient.invalidateQueries({ queryKey: keys.schedule(id), exact: true });
  if (pending.locations.size > 0 || pending.allLists) {
    void queryClient.invalidateQueries({
      predicate: (q) => {
        if (!isScheduleList(q)) return false;
        const at = listLocation(q);
        return pending.allLists || at === undefined || pending.locations.has(at);
      },
    });
  }
  if (pending.userShifts) void queryClient.invalidateQueries({ queryKey: ['user-shifts'] });
  // A week that changed may have answered or expired a shift request shown beside it.
  if (pending.inbox || pending.userShifts) void queryClient.invalidateQueries({ queryKey: keys.shiftRequests });
  if (pending.inbox) void queryClient.invalidateQueries({ queryKey: keys.notifications });
}

/**
 * The signed-in tab's one event stream (GET /api/events). The browser reconnects by itself with
 * `Last-Event-ID`, so the server replays what was missed; when it gives up (a 503, a network
 * error before the stream opened), the stream is opened again and everything shown is reloaded,
 * since what happened meanwhile is unknown.
 */
export function useLiveUpdates(userId: number): void {
  const queryClient = useQueryClient();

  useEffect(() => {
    let source: EventSource | null = null;
    let pending = new Pending();
    let timer: ReturnType<typeof setTimeout> | null = null;
    let reopen: ReturnType<typeof setTimeout> | null = null;
    let stopped = false;

    const schedule = (mark: (p: Pending) => void) => {
      mark(pending);
      if (timer || pending.empty) return;
      timer = setTimeout(() => {
        timer = null;
        const batch = pending;
        pending = new Pending();
        flush(queryClient, batch);
      }, BURST_MS);
    };

    const data = <T>(event: Event): T | null => {
      try {
        return JSON.parse((event as MessageEvent<string>).data) as T;
      } catch {
        return null;
      }
    };

    const open = (afterGap: boolean) => {
      const es = new EventSource('/api/events', { withCredentials: true });
      source = es;
      if (afterGap) es.addEventListener('open', () => schedule((p) => (p.everything = true)), { once: true });

      es.addEventListener('schedule', (event) => {
        const change = data<ScheduleEvent>(event);
        if (!change || alreadyCurrent(queryClient, change)) return;
        schedule((p) => {
          p.schedules.add(change.id);
          p.locations.add(change.locationId);
          p.userShifts = true;
        });
      });
      es.addEventListener('schedule.removed', (event) => {
        const removed = data<{ id: number }>(event);
        if (!removed) return;
        // Whoever shows it (a crew member's week just unpublished) loses it with the list; the week
        // itself is not asked for again, since the caller may no longer see it.
        void queryClient.invalidateQueries({ queryKey: keys.schedule(removed.id), exact: true, refetchType: 'none' });
        const at = queryClient.getQueryData<Schedule>(keys.schedule(removed.id))?.locationId;
        schedule((p) => {
          // A week this tab never opened: any list may hold it.
          if (at === undefined) p.allLists = true;
          else p.locations.add(at);
          p.userShifts = true;
        });
      });
      es.addEventListener('me', (event) => {
        const me = data<{ user: User }>(event);
        if (!me) return;
        queryClient.setQueryData(keys.me, me.user);
        // Locations joined or left change which locations, crew and weeks the person may see.
        void queryClient.invalidateQueries({ predicate: (q) => q.queryKey[0] !== keys.me[0] });
      });
      es.addEventListener('notification', () => schedule((p) => (p.inbox = true)));
      es.addEventListener('reset', () => schedule((p) => (p.everything = true)));
      es.addEventListener('session.ended', () => {
        stop();
        reportUnauthenticated();
      });
      es.addEventListener('error', () => {
        if (es.readyState !== EventSource.CLOSED || stopped) return;
        // A 401 here means the session is gone: asking who is signed in sends a stale tab to login.
        void queryClient.invalidateQueries({ queryKey: keys.me });
        reopen = setTimeout(() => {
          reopen = null;
          if (!stopped) open(true);
        }, REOPEN_MS);
      });
    };

    const stop = () => {
      stopped = true;
      source?.close();
      if (timer) clearTimeout(timer);
      if (reopen) clearTimeout(reopen);
    };

    open(false);
    return stop;
  }, [queryClient, userId]);
}
