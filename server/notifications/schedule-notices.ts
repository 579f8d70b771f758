import type { PublishedShift, ScheduleChanges } from '../../shared/schemas/publications.js';
import type { Touched } from '../changes/write-path.js';
import type { Transaction } from '../db/client.js';
import { peopleIn } from '../schedules/publications.js';
import { notices, type Place, type ShiftFacts } from './notices.js';
import type { Notifier } from './notifier.js';

/** A shift as the notices read it: who is on it, what and when. */
export interface NoticeShift extends ShiftFacts {
  userId: number | null;
  notes: string | null;
}

const facts = (s: PublishedShift): ShiftFacts => ({ position: s.position, startsAt: new Date(s.startsAt), endsAt: new Date(s.endsAt) });

/**
 * Who hears of a change to a week, called by the schedules service inside the write's
 * transaction. A publish tells everyone with shifts that week the first time, and afterwards only
 * the people whose shifts changed since the last publish; an edit of a published week tells the
 * people on the shift before and after it. Open shifts newly offered go to the location's crew.
 * The person who made the change is never told of it.
 */
export function createScheduleNotices(notifier: Notifier) {
  async function postOpen(tx: Transaction, touched: Touched, place: Place, open: readonly ShiftFacts[], except: readonly number[], actorId: number) {
    if (open.length === 0) return;
    const crew = await notifier.membersOf(tx, place.locationId, ['crew']);
    await notifier.send(tx, touched, crew.filter((id) => !except.includes(id)), notices.openShifts(place, open), actorId);
  }

  return {
    async published(tx: Transaction, touched: Touched, place: Place, changes: ScheduleChanges, current: readonly PublishedShift[], actorId: number) {
      if (changes.lastPublishedAt === null) {
        const counts = new Map<number, number>();
        for (const s of current) if (s.userId !== null) counts.set(s.userId, (counts.get(s.userId) ?? 0) + 1);
        for (const [userId, count] of counts) await notifier.send(tx, touched, [userId], notices.published(place, count), actorId);
      } else {
        await notifier.send(tx, touched, peopleIn(changes), notices.republished(place), actorId);
      }
      const newlyOpen = [...changes.added.filter((s) => s.userId === null), ...changes.changed.filter((c) => c.after.userId === null && c.before.userId !== null).map((c) => c.after)];
      await postOpen(tx, touched, place, newlyOpen.map(facts), [], actorId);
    },

    /** A shift of a published week was added (before null), changed, or removed (after null). */
    async shiftEdited(tx: Transaction, touched: Touched, place: Place, before: NoticeShift | null, after: NoticeShift | null, actorId: number) {
      if (before?.userId != null && after !== null && before.userId === after.userId) {
        const same =
          before.position === after.position &&
          before.startsAt.getTime() === after.startsAt.getTime() &&
          before.endsAt.getTime() === after.endsAt.getTime() &&
          before.notes === after.notes;
        if (!same) await notifier.send(tx, touched, [after.userId], notices.shiftChanged(place, before, after), actorId);
        return;
      }
      if (before?.userId != null) await notifier.send(tx, touched, [before.userId], notices.shiftRemoved(place, before), actorId);
      if (after?.userId != null) await notifier.send(tx, touched, [after.userId], notices.shiftAdded(place, after), actorId);
      if (after !== null && after.userId === null) await postOpen(tx, touched, place, [after], before?.userId != null ? [before.userId] : [], actorId);
    },
  };
}

export type ScheduleNotices = ReturnType<typeof createScheduleNotices>;
