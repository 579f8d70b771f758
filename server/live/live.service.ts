import type { Response } from 'express';
import type { User } from '../../shared/schemas/users.js';
import type { Actor } from '../access/actor.js';
import type { SessionAccess } from '../auth/session.store.js';
import { AppError } from '../errors.js';
import type { Live } from './live.js';
import { parseEventId, type LiveBatch } from './live.keys.js';
import { readReplay } from './live.replay.js';
import { LiveStream } from './live.stream.js';

export interface LiveServiceDeps {
  live: Live;
  /** A session's access as stored now, or null once it was revoked, ran out or passed its age. */
  sessionAccess(sid: string): Promise<SessionAccess | null>;
  /** A person as stored in Postgres now (not a cached copy: the write path may announce before it invalidates). */
  loadUser(id: number): Promise<User | null>;
}

/** How long a browser waits before reconnecting a stream that broke (SSE `retry:`). */
const RECONNECT_MS = 2_000;

export function createLiveService({ live, sessionAccess, loadUser }: LiveServiceDeps) {
  const { hub } = live;
  return {
    /**
     * Opens an event stream for a signed-in caller: registers it (so nothing published from now
     * on passes it by), replays what its Last-Event-ID missed, then goes live.
     */
    async open(input: { actor: Actor; sid: string; lastEventId: string | undefined; res: Response }): Promise<void> {
      const { actor, sid, res } = input;
      if (!hub.accepting) {
        throw new AppError('service_unavailable', 'Live updates are unavailable for a moment; try again shortly.', { retryAfter: 1 });
      }
      const access: SessionAccess = { userId: actor.userId, role: actor.role, locationIds: [...actor.locationIds] };
      const stream = new LiveStream(res, access, { session: () => sessionAccess(sid), loadUser }, hub);
      res.status(200).set({
        'Content-Type': 'text/event-stream; charset=utf-8',
        'Cache-Control': 'no-store, no-transform',
        // nginx and others buffer responses unless told not to.
        'X-Accel-Buffering': 'no',
      });
      res.flushHeaders();
      res.write(`retry: ${RECONNECT_MS}\n\n`);
      res.on('close', () => stream.detach());
      const mark = hub.add(stream);

      const last = parseEventId(input.lastEventId);
      if (last === 'absent') return stream.begin([], mark);
      if (last === 'invalid') return stream.begin('reset', mark);
      let replayed: LiveBatch[] | 'reset';
      try {
        replayed = await readReplay(live.redis, live.keys, actor, last, mark.g);
      } catch {
        // The stream is open already: a Redis that fails now means the client refetches, never a 500.
        replayed = 'reset';
      }
      if (replayed !== 'reset' && last.g > mark.g) {
        // Another instance got further than this one: the client has those, and they are still to come here.
        stream.after = last.g;
        return stream.begin([], last);
      }
      stream.begin(replayed, mark);
    },
  };
}

export type LiveService = ReturnType<typeof createLiveService>;
