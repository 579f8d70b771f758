import { useState } from 'react';
import { describeError, isApiError } from '../../api/errors.js';
import { useClaimShift, useSchedule } from '../../api/schedules.js';
import type { Location, Shift, User } from '../../api/types.js';
import { formatDayLong, formatRange, localDate, weekDates, zoneAbbreviation } from '../../lib/time.js';
import { useNotify } from '../../ui/notices.js';
import { EmptyState, LoadError, Spinner } from '../../ui/status.js';
import { ShiftCard } from './ShiftCard.js';
import { BusyButton } from '../../ui/BusyButton.js';

function claimErrorMessage(err: unknown): string {
  if (isApiError(err, 'shift_taken')) return 'Someone else took this shift a moment ago.';
  if (isApiError(err, 'shift_overlap')) return 'You already have a shift at that time, so you cannot take this one.';
  if (isApiError(err, 'unprocessable')) return 'You cannot take shifts at this location.';
  return describeError(err);
}

/** A published week, day by day, the way it reads on a phone. */
export function PublishedWeek({ scheduleId, location, user }: { scheduleId: number; location: Location; user: User }) {
  const schedule = useSchedule(scheduleId);
  if (schedule.isPending) return <Spinner label="Loading the week" />;
  if (schedule.isError) return <LoadError error={schedule.error} what="this week" onRetry={() => void schedule.refetch()} />;

  const zone = location.timezone;
  const byDay = new Map<string, Shift[]>();
  for (const shift of schedule.data.shifts) {
    const date = localDate(shift.startsAt, zone);
    byDay.set(date, [...(byDay.get(date) ?? []), shift]);
  }
  const openCount = schedule.data.shifts.filter((s) => s.userId === null).length;

  if (schedule.data.shifts.length === 0) return <EmptyState title="No shifts this week" />;
  return (
    <>
      <p className="summary">
        {openCount > 0 ? `${openCount} open shift${openCount === 1 ? '' : 's'} this week: take one if you can work it.` : 'Every shift this week is taken.'}{' '}
        Times are {location.name} local time ({zoneAbbreviation(location.timezone)}).
      </p>
      <div className="day-list">
        {weekDates(schedule.data.weekStart)
          .filter((date) => byDay.has(date))
          .map((date) => (
            <section key={date} className="day" aria-labelledby={`day-${date}`}>
              <h2 id={`day-${date}`} className="day-title">
                {formatDayLong(date)}
              </h2>
              <ul className="shift-list">
                {byDay.get(date)!.map((shift) => (
                  <li key={shift.id}>
                    <RotaShift shift={shift} location={location} user={user} />
                  </li>
                ))}
              </ul>
            </section>
          ))}
      </div>
    </>
  );
}

function RotaShift({ shift, location, user }: { shift: Shift; location: Location; user: User }) {
  const claim = useClaimShift();
  const notify = useNotify();
  const [problem, setProblem] = useState<string | null>(null);
  const mine = shift.userId === user.id;

  const take = () => {
    setProblem(null);
    claim.mutate(
      { scheduleId: shift.scheduleId, shiftId: shift.id },
      {
        onSuccess: () => notify(`The ${shift.position} shift on ${formatDayLong(localDate(shift.startsAt, location.timezone))} is yours`),
        onError: (err) => setProblem(claimErrorMessage(err)),
      },
    );
  };

  const who = shift.userId === null ? <span className="tag tag-open">Open</span> : mine ? <strong className="you">You</strong> : shift.userName;
  const action =
    shift.userId === null && user.role === 'crew' && Date.parse(shift.startsAt) > Date.now() ? (
      <BusyButton
        className="button button-small"
        onClick={take}
        busy={claim.isPending}
        aria-label={`Take this shift: ${shift.position}, ${formatDayLong(localDate(shift.startsAt, location.timezone))}, ${formatRange(shift.startsAt, shift.endsAt, location.timezone)}`}
      >
        Take this shift
      </BusyButton>
    ) : undefined;

  return (
    <div className={mine ? 'is-mine' : undefined}>
      <ShiftCard shift={shift} location={location} who={who} action={action} inSchedule />
      {problem && (
        <p className="field-error" role="alert">
          {problem}
        </p>
      )}
    </div>
  );
}
