import { z } from 'zod';
import { CalendarFeed, CalendarTokenPath } from '../../shared/schemas/calendar.js';
import { IdPath } from '../../shared/schemas/schedules.js';
import { PUBLIC, SIGNED_IN, created, defineRoute } from '../http/route.js';
import type { CalendarService } from './calendar.service.js';

export function calendarRoutes(calendar: CalendarService) {
  return [
    defineRoute({
      method: 'post',
      path: '/users/:id/calendar-feed',
      summary: "A new secret address for one's calendar feed (the person only); the old one stops answering",
      description:
        'Makes the caller\'s calendar feed, or gives it a new secret address: `url` is `/api/calendar/<token>.ics`, for a calendar app to subscribe to. The previous address answers 404 from now on. Only the person themselves may: anyone else who may see the person gets a 403, others a 404.',
      access: SIGNED_IN,
      params: IdPath,
      success: { status: 201, schema: CalendarFeed },
      errors: ['not_found', 'forbidden'],
      handler: async ({ actor, params }) => created(await calendar.renew(actor, params.id)),
    }),
    defineRoute({
      method: 'get',
      path: '/calendar/:token.ics',
      summary: "A person's published shifts as an iCalendar feed (no session: the address is the secret)",
      description:
        'The person\'s shifts in published weeks, from 30 days back to 90 days ahead, as RFC 5545 iCalendar: one event per shift with a stable `UID`, times in UTC, the location and position in each. No session needed. A token that is unknown, replaced, malformed or belongs to a deactivated person is the same 404; too many of those from one client address are a 429.',
      access: PUBLIC,
      params: CalendarTokenPath,
      produces: 'text/calendar',
      success: { status: 200, schema: z.string().meta({ description: 'An iCalendar object (RFC 5545), UTF-8, CRLF line endings' }) },
      errors: ['not_found', 'rate_limited'],
      handler: async ({ params, req, res }) => {
        const ics = await calendar.read(params.token, req.ip ?? 'unknown');
        // The address is a secret that can be replaced: nothing on the way may keep a copy.
        res.setHeader('Cache-Control', 'no-store');
        res.setHeader('Content-Disposition', 'inline; filename="shifts.ics"');
        res.status(200).type('text/calendar; charset=utf-8').send(ics);
      },
    }),
  ];
}
