import { useState } from 'react';
import { DateTime } from 'luxon';
import { useLocations } from '../../api/locations.js';
import type { Location, User, UserShift } from '../../api/types.js';
import { useUserShifts } from '../../api/users.js';
import { PageHeader } from '../../app/PageHeader.js';
import { Link } from '../../app/router.js';
import { deviceZone, formatDayLong, formatHours, hoursBetween, localDate } from '../../lib/time.js';
import { EmptyState, LoadError, Spinner } from '../../ui/status.js';
import { AddToCalendar } from './CalendarFeed.js';
import { ShiftCard } from './ShiftCard.js';
import { isOpen, useOpenShiftRequests } from '../../api/requests.js';
import { AskedOfYou } from '../requests/AskedOfYou.js';
import { MyShiftRequest } from '../requests/MyShiftRequest.js';

interface Day {
  date: string;
  shifts: { shift: UserShift; location: Location | undefined }[];
}

/** Shifts still to come or under way, grouped by their local day, days in calendar order and shifts in the order they start. */
export function MyShiftsPage({ user }: { user: User }) {
  // Reaching back a maximal shift length keeps a shift that is under way on the list.
  const [from] = useState(() => new Date(Date.now() - 16 * 3_600_000).toISOString());
  const shifts = useUserShifts(user.id, from);
  const locations = useLocations();
  const requests = useOpenShiftRequests();

  const header = (
    <PageHeader title="My shifts" subtitle={`Hello ${user.name.split(' ')[0]}. Here is what is coming up.`} actions={<AddToCalendar userId={user.id} />} />
  );
  if (shifts.isPending || locations.isPending) {
    return (
      <>
        {header}
        <Spinner label="Loading your shifts" />
      </>
    );
  }
  if (shifts.isError || locations.isError) {
    const retry = () => void (shifts.isError ? shifts.refetch() : locations.refetch());
    return (
      <>
        {header}
        <LoadError error={shifts.error ?? locations.error} what="your shifts" onRetry={retry} />
      </>
    );
  }

  // Requests load beside the shifts; until they do (or if they fail) the shifts show without them.
  const mine = (requests.data ?? []).filter(isOpen);
  const asked = <AskedOfYou requests={mine.filter((r) => r.toUser?.id === user.id && r.status === 'pending')} locations={locations.data} />;
  const openFor = (shiftId: number) => mine.find((r) => r.shiftId === shiftId && r.requester.id === user.id);

  const now = Date.now();
  const upcoming = shifts.data.filter((s) => Date.parse(s.endsAt) > now).sort((a, b) => a.startsAt.localeCompare(b.startsAt));
  if (upcoming.length === 0) {
    return (
      <>
        {header}
        {asked}
        <EmptyState title="No upcoming shifts">
          <p>Your shifts appear here once a manager publishes the week.</p>
          {user.role === 'crew' && (
            <p>
              Looking for work? <Link href="/schedules">See open shifts in the schedules</Link>.
            </p>
          )}
        </EmptyState>
      </>
    );
  }

  const days: Day[] = [];
  for (const shift of upcoming) {
    const location = locations.data.find((l) => l.id === shift.locationId);
    const date = localDate(shift.startsAt, location?.timezone ?? deviceZone());
    const day = days.find((d) => d.date === date) ?? days[days.push({ date, shifts: [] }) - 1]!;
    day.shifts.push({ shift, location });
  }
  // Each day is a date on its location's clock, so across zones the order of starts is not the
  // order of days: a Wednesday morning east of here can begin before a Tuesday evening here.
  // Within a day the shifts keep the order they start in.
  days.sort((a, b) => a.date.localeCompare(b.date));
  const weekAhead = upcoming.filter((s) => Date.parse(s.startsAt) < now + 7 * 86_400_000).reduce((h, s) => h + hoursBetween(s.startsAt, s.endsAt), 0);

  return (
    <>
      {header}
      <p className="summary">
        {upcoming.length} upcoming shift{upcoming.length === 1 ? '' : 's'} · {formatHours(weekAhead)} in the next 7 days
      </p>
      {asked}
      <div className="day-list">
        {days.map((day) => (
          <section key={day.date} className="day" aria-labelledby={`day-${day.date}`}>
            <h2 id={`day-${day.date}`} className="day-title">
              {relativeDay(day.date)}
            </h2>
            <ul className="shift-list">
              {day.shifts.map(({ shift, location }) => (
                <li key={shift.id}>
                  <ShiftCard shift={shift} location={location} action={<MyShiftRequest shift={shift} location={location} me={user.id} open={openFor(shift.id)} />} />
                </li>
              ))}
            </ul>
          </section>
        ))}
      </div>
    </>
  );
}

function relativeDay(date: string): string {
  const today = DateTime.local().toISODate();
  const tomorrow = DateTime.local().plus({ days: 1 }).toISODate();
  const label = formatDayLong(date);
  if (date === today) return `Today · ${label}`;
  if (date === tomorrow) return `Tomorrow · ${label}`;
  return label;
}
