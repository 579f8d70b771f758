import { describeError } from '../../api/errors.js';
import { useCreateSchedule } from '../../api/schedules.js';
import type { Location, ScheduleSummary } from '../../api/types.js';
import { formatWeek } from '../../lib/time.js';
import { useNotify } from '../../ui/notices.js';
import { FormError } from '../../ui/status.js';
import type { CopyResult } from './WeekPlan.js';
import { BusyButton } from '../../ui/BusyButton.js';

interface Props {
  location: Location;
  week: string;
  previous: ScheduleSummary | undefined;
  onCreated: (id: number, copy: CopyResult | null) => void;
}

const copiedMessage = (n: number) =>
  n === 0 ? 'No shift could be copied from the previous week' : `Copied ${n} shift${n === 1 ? '' : 's'} from the previous week`;

export function NoSchedule({ location, week, previous, onCreated }: Props) {
  const create = useCreateSchedule();
  const notify = useNotify();

  const start = (copyFrom?: ScheduleSummary) =>
    create.mutate(
      { locationId: location.id, weekStart: week, copyFromScheduleId: copyFrom?.id },
      {
        onSuccess: (schedule) => {
          onCreated(schedule.id, copyFrom ? { sourceId: copyFrom.id, skipped: schedule.skipped } : null);
          notify(copyFrom ? copiedMessage(schedule.shifts.length) : 'Week created as a draft');
        },
      },
    );

  return (
    <section className="card empty-week" aria-labelledby="no-schedule-title">
      <h2 id="no-schedule-title">Nothing planned for {formatWeek(week)}</h2>
      <p>Start this week at {location.name} from scratch, or copy last week's shifts and adjust them. Crew see nothing until you publish.</p>
      <FormError>{create.isError ? describeError(create.error) : null}</FormError>
      <div className="button-row">
        <BusyButton onClick={() => start()} busy={create.isPending}>
          Create week
        </BusyButton>
        <BusyButton className="button button-secondary" onClick={() => previous && start(previous)} busy={create.isPending} disabled={!previous}>
          Copy previous week
        </BusyButton>
      </div>
      {!previous && <p className="muted">There is no schedule for the previous week to copy.</p>}
      {previous && (
        <p className="muted">
          The previous week has {previous.shiftCount} shift{previous.shiftCount === 1 ? '' : 's'}. They are copied at the same local times; any that would clash are
          listed.
        </p>
      )}
    </section>
  );
}
