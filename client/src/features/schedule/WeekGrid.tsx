import type { Labor, Schedule, Shift, User } from '../../api/types.js';
import {
  daysSpanned,
  formatDayLong,
  formatDayShort,
  formatHours,
  formatTime,
  formatWeek,
  thisMonday,
  localDate,
  weekDates,
} from '../../lib/time.js';
import { buildRows, hoursPerDay, positionColour, type DayNote, type GridRow, type PlanContext } from './grid.js';
import { formatMoney } from './LaborBar.js';

interface Props {
  schedule: Schedule;
  crew: User[];
  locationId: number;
  zone: string;
  /** Warnings, time off, availability and shifts elsewhere, as far as they have loaded. */
  plan: PlanContext;
  labor: Labor | undefined;
  onAdd: (userId: number | null, date: string) => void;
  onEdit: (shift: Shift) => void;
}

/** Crew down the side, the location's days across, each person's weekly hours at the end. */
export function WeekGrid({ schedule, crew, locationId, zone, plan, labor, onAdd, onEdit }: Props) {
  const dates = weekDates(schedule.weekStart);
  const rows = buildRows(schedule, crew, locationId, zone, plan);
  const costOf = new Map(labor?.byDay.map((d) => [d.date, d.cost]));
  const perDay = hoursPerDay(schedule, zone);
  const today = thisMonday(zone) === schedule.weekStart ? localDate(new Date().toISOString(), zone) : null;
  const total = [...perDay.values()].reduce((a, b) => a + b, 0);

  return (
    <div className="grid-scroll" tabIndex={0} role="region" aria-label={`Shifts, week of ${formatWeek(schedule.weekStart)}`}>
      <table className="weekgrid">
        <caption className="sr-only">
          Shifts for the week of {formatWeek(schedule.weekStart)}: one row per person, one column per day, hours for the week in the last column.
        </caption>
        <thead>
          <tr>
            <th scope="col" className="weekgrid-person">
              Crew
            </th>
            {dates.map((date) => (
              <th scope="col" key={date} className={date === today ? 'is-today' : undefined} aria-label={formatDayLong(date)}>
                {formatDayShort(date)}
              </th>
            ))}
            <th scope="col" className="weekgrid-hours">
              Hours
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <GridLine key={row.key} row={row} dates={dates} today={today} zone={zone} plan={plan} onAdd={onAdd} onEdit={onEdit} />
          ))}
        </tbody>
        <tfoot>
          <tr>
            <th scope="row">Total</th>
            {dates.map((date) => (
              <td key={date}>
                {perDay.get(date) ? formatHours(perDay.get(date)!) : '–'}
                {labor && costOf.get(date) && Number(costOf.get(date)) > 0 && <span className="day-cost"> · {formatMoney(costOf.get(date)!, labor.currency)}</span>}
              </td>
            ))}
            <td className="weekgrid-hours">
              {formatHours(total)}
            </td>
          </tr>
        </tfoot>
      </table>
    </div>
  );
}

interface LineProps {
  row: GridRow;
  dates: string[];
  today: string | null;
  zone: string;
  plan: PlanContext;
  onAdd: Props['onAdd'];
  onEdit: Props['onEdit'];
}

function GridLine({ row, dates, today, zone, plan, onAdd, onEdit }: LineProps) {
  const open = row.userId === null;
  const cellClass = (date: string) => {
    const note = row.notes.get(date);
    return [date === today ? 'is-today' : '', note ? `is-${note.kind}` : ''].filter(Boolean).join(' ') || undefined;
  };
  return (
    <tr className={open ? 'weekgrid-open' : undefined}>
      <th scope="row" className="weekgrid-person">
        <span className="person-name">{row.name}</span>
        {row.detail && <span className="person-detail">{row.detail}</span>}
      </th>
      {dates.map((date) => (
        <td key={date} className={cellClass(date)}>
          <div className="cell">
            {row.notes.get(date) && <DayLabel note={row.notes.get(date)!} />}
            {(row.elsewhere.get(date) ?? []).map((shift) => (
              <p key={shift.id} className="elsewhere">
                <span className="chip-time">
                  {formatTime(shift.startsAt, zone)} – {formatTime(shift.endsAt, zone)}
                </span>
                <span className="elsewhere-at">at {plan.locationNames.get(shift.locationId) ?? 'another location'}</span>
              </p>
            ))}
            {(row.days.get(date) ?? []).map((shift) => (
              <ShiftChip key={shift.id} shift={shift} zone={zone} open={open} owner={row.name} warnings={plan.warnings.get(shift.id) ?? []} onEdit={onEdit} />
            ))}
            <button type="button" className="cell-add" onClick={() => onAdd(row.userId, date)} aria-label={`Add ${open ? 'an open shift' : `a shift for ${row.name}`} on ${formatDayLong(date)}`}>
              <span aria-hidden="true">+</span>
            </button>
          </div>
        </td>
      ))}
      <td className="weekgrid-hours">{open ? (row.hours ? formatHours(row.hours) : '–') : formatHours(row.hours)}</td>
    </tr>
  );
}

/**
 * A shift's button is named by what it shows, with the words a sighted person gets from the grid
 * around it (whose shift, which day, what "+1" means) added for screen readers only: a separate
 * `aria-label` would name it differently from its visible text, which speech control users say
 * to press it (WCAG 2.5.3). Chromium puts a space around each hidden part, so none starts with
 * punctuation: "Edit Alex's shift on Tuesday 1 December: 22:00 – 06:00 ends the next day, as Bartender".
 */
/** Time off, a request for it, or hours the person cannot work that day: said in words, not only by the shading. */
function DayLabel({ note }: { note: DayNote }) {
  return <span className={`day-note day-note-${note.kind}`}>{note.label}</span>;
}

interface ChipProps {
  shift: Shift;
  zone: string;
  open: boolean;
  owner: string;
  /** What a manager should know about this shift (GET /api/schedules/:id/warnings). */
  warnings: { detail: string }[];
  onEdit: (s: Shift) => void;
}

function ShiftChip({ shift, zone, open, owner, warnings, onEdit }: ChipProps) {
  const nextDay = daysSpanned(shift.startsAt, shift.endsAt, zone) > 0;
  const day = formatDayLong(localDate(shift.startsAt, zone));
  const reasons = warnings.map((w) => w.detail).join('. ');
  const classes = ['chip', open ? 'chip-open' : `chip-pos-${positionColour(shift.position)}`, warnings.length > 0 ? 'chip-warned' : ''].filter(Boolean).join(' ');
  return (
    <button type="button" className={classes} onClick={() => onEdit(shift)} title={[reasons, shift.notes].filter(Boolean).join('. ') || undefined}>
      <span className="sr-only">{`Edit ${open ? 'open shift' : `${owner}'s shift`} on ${day}:`}</span>
      {/* Start and end each hold together, so a narrow day column breaks the range between them. */}
      <span className="chip-time">
        <span>{formatTime(shift.startsAt, zone)} –</span> <span>{formatTime(shift.endsAt, zone)}</span>
        {nextDay && (
          <sup className="chip-nextday" aria-hidden="true">
            +1
          </sup>
        )}
        <span className="sr-only">{nextDay ? 'ends the next day, as' : 'as'}</span>
      </span>
      <span className="chip-position">{shift.position}</span>
      {warnings.length > 0 && (
        <>
          <span className="chip-mark" aria-hidden="true">
            !
          </span>
          <span className="sr-only">{`. Warning: ${reasons}.`}</span>
          {/* Shown on hover and keyboard focus; screen readers have the words above. */}
          <span className="chip-tip" aria-hidden="true">
            {warnings.map((w) => (
              <span key={w.detail}>{w.detail}</span>
            ))}
          </span>
        </>
      )}
    </button>
  );
}
