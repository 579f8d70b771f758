import { useId, useState } from 'react';
import { describeError } from '../../api/errors.js';
import { useCreateSchedule } from '../../api/schedules.js';
import type { Location, ScheduleSummary } from '../../api/types.js';
import { addWeeks, formatWeek } from '../../lib/time.js';
import { useNotify } from '../../ui/notices.js';
import { FormError } from '../../ui/status.js';
import type { CopyResult } from './WeekPlan.js';
import { BusyButton } from '../../ui/BusyButton.js';

interface Props {
  location: Location;
  week: string;
  /** The location's schedules of weeks before this one, newest first: what this week can be copied from. */
  earlier: ScheduleSummary[];
  onCreated: (id: number, copy: CopyResult | null) => void;
}

const shiftCount = (n: number) => `${n} shift${n === 1 ? '' : 's'}`;

/** "Week of 23 Nov – 29 Nov 2026 (last week), published, 12 shifts". */
function weekLabel(source: ScheduleSummary, week: string): string {
  const ago = source.weekStart === addWeeks(week, -1) ? ' (the week before)' : '';
  return `${formatWeek(source.weekStart)}${ago} · ${source.status === 'published' ? 'published' : 'draft'} · ${shiftCount(source.shiftCount)}`;
}

/** A week with no schedule yet: start it empty, or as a copy of any earlier week of the location. */
export function NoSchedule({ location, week, earlier, onCreated }: Props) {
  const create = useCreateSchedule();
  const notify = useNotify();
  const pickerId = useId();
  const [chosen, setChosen] = useState<number | null>(earlier[0]?.id ?? null);
  const source = earlier.find((s) => s.id === chosen) ?? earlier[0];

  const start = (copyFrom?: ScheduleSummary) =>
    create.mutate(
      { locationId: location.id, weekStart: week, copyFromScheduleId: copyFrom?.id },
      {
        onSuccess: (schedule) => {
          onCreated(schedule.id, copyFrom ? { sourceId: copyFrom.id, sourceWeek: copyFrom.weekStart, skipped: schedule.skipped } : null);
          if (!copyFrom) notify('Week created as a draft');
          else if (schedule.shifts.length === 0) notify(`No shift could be copied from the week of ${formatWeek(copyFrom.weekStart)}`);
          else notify(`Copied ${shiftCount(schedule.shifts.length)} from the week of ${formatWeek(copyFrom.weekStart)}`);
        },
      },
    );

  return (
    <section className="card empty-week" aria-labelledby="no-schedule-title">
      <h2 id="no-schedule-title">Nothing planned for {formatWeek(week)}</h2>
      <p>Start this week at {location.name} from scratch, or copy an earlier week's shifts and adjust them. Crew see nothing until you publish.</p>
      <FormError>{create.isError ? describeError(create.error) : null}</FormError>
      <div className="button-row">
        <BusyButton onClick={() => start()} busy={create.isPending}>
          Create week
        </BusyButton>
      </div>
      {earlier.length === 0 ? (
        <p className="muted">There is no earlier week at {location.name} to copy.</p>
      ) : (
        <div className="copy-week">
          <div className="field field-grow">
            <label htmlFor={pickerId}>Or copy an earlier week</label>
            <select id={pickerId} value={source!.id} onChange={(e) => setChosen(Number(e.target.value))} aria-describedby={`${pickerId}-hint`}>
              {earlier.map((s) => (
                <option key={s.id} value={s.id}>
                  {weekLabel(s, week)}
                </option>
              ))}
            </select>
          </div>
          <BusyButton className="button button-secondary" onClick={() => start(source)} busy={create.isPending}>
            Copy shifts into this week
          </BusyButton>
        </div>
      )}
      {earlier.length > 0 && (
        <p className="muted" id={`${pickerId}-hint`}>
          Its shifts are copied to the same weekdays and local times; any that would clash, or whose person has left, are listed. Copying only starts a week
          that has no schedule: a week that already has one, even an empty draft, is never merged into or replaced (delete that draft first).
        </p>
      )}
    </section>
  );
}
