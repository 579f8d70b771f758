import { SchedulePresence } from '../../shared/schemas/presence.js';
import { IdPath } from '../../shared/schemas/schedules.js';
import { SIGNED_IN, defineRoute, noContent } from '../http/route.js';
import type { PresenceService } from './presence.service.js';

export function presenceRoutes(presence: PresenceService) {
  return [
    defineRoute({
      method: 'put',
      path: '/schedules/:id/presence',
      summary: 'Say the caller has the week open in the planner; answers who else has it open',
      description:
        'Records that the caller has the week open in the planner, for 45 seconds (the planner repeats it every 15 while it is shown), and answers the other people who have it open now, never the caller. For those who may change the schedule: its managers and admins; others get what changing it would answer them. Presence is a hint: when it cannot be read the answer is still a 200, with nobody in it.',
      access: SIGNED_IN,
      params: IdPath,
      success: { status: 200, schema: SchedulePresence },
      errors: ['not_found', 'forbidden'],
      handler: ({ actor, params }) => presence.enter(actor, params.id),
    }),
    defineRoute({
      method: 'delete',
      path: '/schedules/:id/presence',
      summary: 'Say the caller has left the week in the planner',
      description:
        'Takes the caller off the week at once, rather than after 45 seconds, when they leave it in the planner. For those who may change the schedule, as PUT; a 204 also when presence cannot be written.',
      access: SIGNED_IN,
      params: IdPath,
      success: { status: 204, schema: null },
      errors: ['not_found', 'forbidden'],
      handler: async ({ actor, params }) => {
        await presence.leave(actor, params.id);
        return noContent();
      },
    }),
  ];
}
