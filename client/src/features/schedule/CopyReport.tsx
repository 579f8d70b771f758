import { useSchedule } from '../../api/schedules.js';
import type { Schedule, Shift, SkippedShift } from '../../api/types.js';
import { formatDayLong, formatRange, formatWeek, localDate } from '../../lib/time.js';
import { Spinner } from '../../ui/status.js';
import type { CopyResult } from './WeekPlan.js';

const REASONS: Record<SkippedShift['reason'], string> = {
  overlap: 'would overlap another of their shifts',
  inactive_user: 'their account is deactivated',
  not_member: 'they no longer work at this location',
  too_long: 'the clocks change that week, which would make it longer than 16 hours',
};

interface Props {
  copy: CopyResult;
  /** The new week, where the shifts a skipped one clashed with may be. */
  schedule: Schedule;
  zone: string;
  onDismiss: () => void;
}

/** After copying an earlier week: which shifts did not come along, and why. */
export function CopyReport({ copy, schedule, zone, onDismiss }: Props) {
  const source = useSchedule(copy.sourceId);
  const byId = new Map([...(source.data?.shifts ?? []), ...schedule.shifts].map((s) => [s.id, s]));

  if (copy.skipped.length === 0) {
    return (
      <div className="alert alert-success" role="status">
        <p>Every shift of the week of {formatWeek(copy.sourceWeek)} was copied.</p>
        <button type="button" className="button button-ghost button-small" onClick={onDismiss}>
          Dismiss
        </button>
      </div>
    );
  }
  return (
    <section className="alert alert-warning" aria-labelledby="copy-report-title">
      <h2 id="copy-report-title" className="alert-title">
        {copy.skipped.length} shift{copy.skipped.length === 1 ? ' was' : 's were'} not copied
      </h2>
      {/* The copied week may have changed since it was last shown (a shift taken, a name changed). */}
      {source.isFetching ? (
        <Spinner label="Looking up the shifts" />
      ) : (
        <ul>
          {copy.skipped.map((skip) => (
            <li key={skip.shiftId}>
              <SkippedLine skip={skip} shift={byId.get(skip.shiftId)} zone={zone} describe={(id) => describeShift(byId.get(id), zone)} sourceWeek={copy.sourceWeek} />
            </li>
          ))}
        </ul>
      )}
      <p className="muted">The dates shown are those of the week of {formatWeek(copy.sourceWeek)}. Add these shifts by hand if they are still needed.</p>
      <button type="button" className="button button-ghost button-small" onClick={onDismiss}>
        Dismiss
      </button>
    </section>
  );
}

function describeShift(shift: Shift | undefined, zone: string): string {
  if (!shift) return 'a shift at another location';
  return `${shift.position} ${formatDayLong(localDate(shift.startsAt, zone))} ${formatRange(shift.startsAt, shift.endsAt, zone)}`;
}

function SkippedLine({ skip, shift, zone, describe, sourceWeek }: { skip: SkippedShift; shift: Shift | undefined; zone: string; describe: (id: number) => string; sourceWeek: string }) {
  const clashes = skip.conflicts.length > 0 ? ` (${skip.conflicts.map(describe).join('; ')})` : '';
  if (!shift) return <>{`A shift of the week of ${formatWeek(sourceWeek)}: ${REASONS[skip.reason]}${clashes}.`}</>;
  return (
    <>
      <strong>{shift.userName ?? 'Open shift'}</strong>
      {`, ${shift.position}, ${formatDayLong(localDate(shift.startsAt, zone))} ${formatRange(shift.startsAt, shift.endsAt, zone)}: ${REASONS[skip.reason]}${clashes}.`}
    </>
  );
}
