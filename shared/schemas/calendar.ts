import { z } from 'zod';

/**
 * A person's calendar feed (API.md, "Shift requests, notifications, calendar"). The address is
 * secret: whoever has it reads the person's published shifts without signing in, until a new one
 * replaces it.
 */
export const CalendarFeed = z.strictObject({
  url: z
    .string()
    .regex(/^\/api\/calendar\/[^/]+\.ics$/)
    .meta({
      description:
        'The feed\'s secret address, `/api/calendar/<token>.ics`, on this server (subscribe with `https://<host>` or `webcal://<host>` in front). It answers until a new feed is made.',
      example: '/api/calendar/17.q3W8mX0v1bKc9N2zR5tY7uE4oP6aS8dF0gH2jK4lZ1x.ics',
    }),
});
export type CalendarFeed = z.infer<typeof CalendarFeed>;

/**
 * The token as it arrives in the path. Anything is accepted here: a malformed token is a 404 like
 * an unknown one (not a 400), so the route cannot be used to learn what a token looks like.
 */
export const CalendarTokenPath = z.strictObject({
  token: z.string().meta({ description: 'The secret token of a calendar feed, as `POST /api/users/{id}/calendar-feed` gave it' }),
});
