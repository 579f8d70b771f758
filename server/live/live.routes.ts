import { z } from 'zod';
import { defineRoute, SIGNED_IN, type RouteDef } from '../http/route.js';
import type { LiveService } from './live.service.js';

const EVENTS_DESCRIPTION = [
  'Server-Sent Events. Each event has an `id:`, an `event:` name and JSON `data:`:',
  '`schedule` `{ id, locationId, weekStart, status, version }` (a schedule the caller may see changed; crew only ever get published ones),',
  '`schedule.removed` `{ id }` (deleted, or for crew unpublished),',
  '`me` `{ user }` (the caller\'s own name, role or locations changed),',
  '`notification` (a Notification),',
  '`session.ended` `{}` (this session was revoked; the stream ends),',
  '`reset` `{}` (events were missed: refetch what is shown).',
  'Reconnecting with `Last-Event-ID` replays what was missed in the last 5 minutes; a comment line comes at least every 25 s.',
].join(' ');

/** Where the event stream is served, under /api. */
export const EVENTS_PATH = '/events';

export function liveRoutes(live: LiveService): RouteDef[] {
  return [
    defineRoute({
      method: 'get',
      path: EVENTS_PATH,
      summary: 'Live updates of what the caller may see',
      description: EVENTS_DESCRIPTION,
      access: SIGNED_IN,
      produces: 'text/event-stream',
      success: { status: 200, schema: z.string().meta({ description: EVENTS_DESCRIPTION }), description: EVENTS_DESCRIPTION },
      errors: ['service_unavailable'],
      async handler({ actor, req, res }) {
        // Returns once the stream is open and replayed; the router sends nothing more.
        await live.open({ actor, sid: req.sessionID, lastEventId: req.get('last-event-id'), res });
      },
    }),
  ];
}
