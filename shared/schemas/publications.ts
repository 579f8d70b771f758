import { z } from 'zod';
import { Id, Instant } from './common.js';

/** A shift as it was when its week was last published (what the diff compares with). */
export const PublishedShift = z
  .strictObject({
    id: Id,
    userId: Id.nullable(),
    userName: z.string().nullable(),
    position: z.string(),
    startsAt: Instant,
    endsAt: Instant,
    notes: z.string().nullable(),
  })
  .meta({ id: 'PublishedShift' });
export type PublishedShift = z.infer<typeof PublishedShift>;

export const SHIFT_FIELDS = ['userId', 'position', 'startsAt', 'endsAt', 'notes'] as const;

export const ScheduleChanges = z
  .strictObject({
    scheduleId: Id,
    lastPublishedAt: Instant.nullable().meta({ description: 'When the week was last published; null if never (then every shift is `added`)' }),
    added: z.array(PublishedShift),
    removed: z.array(PublishedShift),
    changed: z.array(
      z.strictObject({
        before: PublishedShift,
        after: PublishedShift,
        fields: z.array(z.enum(SHIFT_FIELDS)).meta({ description: 'Which fields differ' }),
      }),
    ),
  })
  .meta({ id: 'ScheduleChanges' });
export type ScheduleChanges = z.infer<typeof ScheduleChanges>;
