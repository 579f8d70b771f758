import { z } from 'zod';
import { Id } from './common.js';

/**
 * Who else has a week open in the planner (PUT /api/schedules/:id/presence). A hint for the
 * people planning it, not a lock: nothing stops two managers from editing one week.
 */
export const PresentEditor = z
  .strictObject({
    id: Id,
    name: z.string(),
  })
  .meta({ id: 'PresentEditor', description: 'Someone who has the week open in the planner' });
export type PresentEditor = z.infer<typeof PresentEditor>;

export const SchedulePresence = z
  .strictObject({
    editors: z.array(PresentEditor).meta({
      description: 'The other people (never the caller) who had the week open in the planner within the last 45 seconds, by name; empty when presence cannot be read',
    }),
  })
  .meta({ id: 'SchedulePresence' });
export type SchedulePresence = z.infer<typeof SchedulePresence>;

/** How long a PUT keeps its caller present: the planner repeats it well within this. */
export const PRESENCE_TTL_MS = 45_000;
