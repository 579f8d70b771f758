import { DateTime } from 'luxon';
import type { Notice } from './notifier.js';

/**
 * The words and links of notifications. Times are on the location's clock, as the planner and My
 * shifts show them; links are the app's own pages (client/src/app/routes.tsx).
 */

export interface ShiftFacts {
  position: string;
  startsAt: Date;
  endsAt: Date;
}

export interface Place {
  locationId: number;
  locationName: string;
  timezone: string;
  weekStart: string;
}

/** "Sat 12 Dec, 17:00–23:00, Bartender" on the location's clock. */
export function describeShift(shift: ShiftFacts, timezone: string): string {
  const start = DateTime.fromJSDate(shift.startsAt, { zone: timezone });
  const end = DateTime.fromJSDate(shift.endsAt, { zone: timezone });
  return `${start.toFormat('ccc d LLL, HH:mm')}–${end.toFormat('HH:mm')}, ${shift.position}`;
}

export const weekLabel = (weekStart: string) => DateTime.fromISO(weekStart, { zone: 'UTC' }).toFormat('d LLL');

export const links = {
  myShifts: '/my-shifts',
  rota: (p: Place) => `/schedules?location=${p.locationId}&week=${p.weekStart}`,
  planner: (p: Place) => `/planner?location=${p.locationId}&week=${p.weekStart}`,
};

export const notices = {
  published(p: Place, count: number): Notice {
    return {
      kind: 'schedule_published',
      title: `Week of ${weekLabel(p.weekStart)} published`,
      body: `${p.locationName}: you have ${count} shift${count === 1 ? '' : 's'} that week.`,
      link: links.myShifts,
    };
  },
  republished(p: Place): Notice {
    return {
      kind: 'schedule_published',
      title: `Week of ${weekLabel(p.weekStart)} published again`,
      body: `${p.locationName}: your shifts that week changed since it was last published.`,
      link: links.myShifts,
    };
  },
  shiftAdded(p: Place, shift: ShiftFacts): Notice {
    return { kind: 'shift_changed', title: 'New shift', body: `${describeShift(shift, p.timezone)} at ${p.locationName}.`, link: links.myShifts };
  },
  shiftChanged(p: Place, before: ShiftFacts, after: ShiftFacts): Notice {
    const was = describeShift(before, p.timezone);
    const now = describeShift(after, p.timezone);
    return { kind: 'shift_changed', title: 'Your shift changed', body: was === now ? `${now} at ${p.locationName}: the notes changed.` : `${now} at ${p.locationName} (was ${was}).`, link: links.myShifts };
  },
  shiftRemoved(p: Place, shift: ShiftFacts): Notice {
    return { kind: 'shift_changed', title: 'Shift taken off your schedule', body: `${describeShift(shift, p.timezone)} at ${p.locationName}.`, link: links.myShifts };
  },
  openShifts(p: Place, shifts: readonly ShiftFacts[]): Notice {
    const [first] = shifts;
    return {
      kind: 'open_shift',
      title: shifts.length === 1 ? 'Open shift up for grabs' : `${shifts.length} open shifts up for grabs`,
      body: shifts.length === 1 && first ? `${describeShift(first, p.timezone)} at ${p.locationName}.` : `${p.locationName}, week of ${weekLabel(p.weekStart)}.`,
      link: links.rota(p),
    };
  },
};

/** Shift requests: who asks what of whom, and how it ended. */
export const requestNotices = {
  askColleague(p: Place, from: string, shift: ShiftFacts): Notice {
    return { kind: 'shift_request', title: `${from} asks you to take a shift`, body: `${describeShift(shift, p.timezone)} at ${p.locationName}. Accept or decline on My shifts.`, link: links.myShifts };
  },
  askManager(p: Place, kind: 'drop' | 'swap', from: string, to: string | null, shift: ShiftFacts): Notice {
    const what = kind === 'drop' ? `${from} asks to drop a shift` : `${from} and ${to} ask to swap a shift`;
    return { kind: 'shift_request', title: what, body: `${describeShift(shift, p.timezone)} at ${p.locationName}. Approve or deny it in the planner.`, link: links.planner(p) };
  },
  decided(p: Place, outcome: 'approved' | 'denied' | 'declined' | 'cancelled', by: string, shift: ShiftFacts, link = links.myShifts): Notice {
    const verb = { approved: 'approved', denied: 'denied', declined: 'declined', cancelled: 'withdrew' }[outcome];
    const title = outcome === 'cancelled' ? `${by} withdrew a shift request` : `${by} ${verb} a shift request`;
    return { kind: 'shift_request', title, body: `${describeShift(shift, p.timezone)} at ${p.locationName}.`, link };
  },
  takenOver(p: Place, from: string, shift: ShiftFacts): Notice {
    return { kind: 'shift_changed', title: 'A shift is now yours', body: `${describeShift(shift, p.timezone)} at ${p.locationName}, from ${from}: a manager approved the swap.`, link: links.myShifts };
  },
};
