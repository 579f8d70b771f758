import type { ReactNode } from 'react';
import type { Location, Shift } from '../../api/types.js';
import { daysSpanned, deviceZone, formatHours, formatRange, hoursBetween } from '../../lib/time.js';

interface Props {
  shift: Shift;
  location: Location | undefined;
  who?: ReactNode;
  action?: ReactNode;
  /** Within one location's schedule, where and on which clock are said once, above the list. */
  inSchedule?: boolean;
}

/** One shift as crew see it: when (on the location's clock), what, where. */
export function ShiftCard({ shift, location, who, action, inSchedule = false }: Props) {
  const zone = location?.timezone ?? deviceZone();
  const nextDay = daysSpanned(shift.startsAt, shift.endsAt, zone) > 0;
  const otherClock = !inSchedule && location && location.timezone !== deviceZone();
  return (
    <article className={`shift-card${shift.userId === null ? ' shift-card-open' : ''}`}>
      <div className="shift-card-main">
        <p className="shift-card-time">
          {formatRange(shift.startsAt, shift.endsAt, zone)}
          {nextDay && <span className="tag">next day</span>}
        </p>
        <p className="shift-card-what">
          <strong>{shift.position}</strong>
          {location && !inSchedule && <> · {location.name}</>}
          {who && <> · {who}</>}
        </p>
        <p className="shift-card-meta">
          {formatHours(hoursBetween(shift.startsAt, shift.endsAt))}
          {otherClock && <> · {location.timezone.split('/').pop()!.replace(/_/g, ' ')} time</>}
        </p>
        {shift.notes && <p className="shift-card-notes">{shift.notes}</p>}
      </div>
      {action && <div className="shift-card-action">{action}</div>}
    </article>
  );
}
