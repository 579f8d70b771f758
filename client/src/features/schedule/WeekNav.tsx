import { addWeeks, formatWeek } from '../../lib/time.js';

/** Previous / this / next week. The label is live so the new week is announced after a step. */
export function WeekNav({ week, current, onChange }: { week: string; current: string; onChange: (week: string) => void }) {
  return (
    <div className="weeknav" role="group" aria-label="Week">
      <button type="button" className="button button-secondary button-icon" onClick={() => onChange(addWeeks(week, -1))} aria-label="Previous week">
        <span aria-hidden="true">‹</span>
      </button>
      <span className="weeknav-label" aria-live="polite">
        {formatWeek(week)}
      </span>
      <button type="button" className="button button-secondary button-icon" onClick={() => onChange(addWeeks(week, 1))} aria-label="Next week">
        <span aria-hidden="true">›</span>
      </button>
      <button type="button" className="button button-ghost button-small" onClick={() => onChange(current)} disabled={week === current}>
        This week
      </button>
    </div>
  );
}
