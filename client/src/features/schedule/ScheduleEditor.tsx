import { useState } from 'react';
import { useMe } from '../../api/auth.js';
import { useLocations } from '../../api/locations.js';
import { useCrewAvailability, useLabor, useShiftsElsewhere, useTimeOff, useWarnings } from '../../api/planning.js';
import { usePresence } from '../../api/presence.js';
import type { Labor, Location, Schedule, User, Warning } from '../../api/types.js';
import { addWeeks, localInstant } from '../../lib/time.js';
import { PlannerRequests } from '../requests/PlannerRequests.js';
import { CopyReport } from './CopyReport.js';
import { ScheduleBar } from './ScheduleBar.js';
import { ShiftDialog, type ShiftDialogTarget } from './ShiftDialog.js';
import type { PlanContext } from './grid.js';
import { LaborBar } from './LaborBar.js';
import { PresenceHint } from './PresenceHint.js';
import { TimeOffRequests } from './TimeOffRequests.js';
import { WeekGrid } from './WeekGrid.js';
import type { CopyResult } from './WeekPlan.js';

interface Props {
  /** As the week's request answered it (WeekPlan), kept current by writes and live updates. */
  schedule: Schedule;
  location: Location;
  crew: User[];
  copy: CopyResult | null;
  onDismissCopy: () => void;
  onDeleted: () => void;
}

export function ScheduleEditor({ schedule: data, location, crew, copy, onDismissCopy, onDeleted }: Props) {
  const labor = useLabor(data.id);
  const [dialog, setDialog] = useState<ShiftDialogTarget | null>(null);
  const me = useMe().data;
  const editors = usePresence(data.id);

  return (
    <>
      <PresenceHint editors={editors} />
      <ScheduleBar
        schedule={data}
        zone={location.timezone}
        onAddShift={() => setDialog({ mode: 'create', userId: null, date: data.weekStart })}
        onDeleted={onDeleted}
        labor={<LaborBar labor={labor.data} />}
      />
      <PlannerRequests schedule={data} zone={location.timezone} me={me?.id ?? 0} />
      {copy && <CopyReport copy={copy} schedule={data} zone={location.timezone} onDismiss={onDismissCopy} />}
      <PlannedWeek
        schedule={data}
        labor={labor.data}
        crew={crew}
        location={location}
        onAdd={(userId, date) => setDialog({ mode: 'create', userId, date })}
        onEdit={(shift) => setDialog({ mode: 'edit', shift })}
      />
      {dialog && <ShiftDialog target={dialog} schedule={data} location={location} crew={crew} onClose={() => setDialog(null)} />}
    </>
  );
}

interface PlannedWeekProps {
  schedule: Schedule;
  labor: Labor | undefined;
  crew: User[];
  location: Location;
  onAdd: (userId: number | null, date: string) => void;
  onEdit: Parameters<typeof WeekGrid>[0]['onEdit'];
}

/**
 * The grid with what a manager plans around: warnings on the shifts, time off and unavailable
 * days shaded, shifts at other locations greyed, and the week's labor. Each part shows once it
 * has loaded; the grid never waits for them. (The labor figures sit in the week's bar above.)
 */
function PlannedWeek({ schedule, labor, crew, location, onAdd, onEdit }: PlannedWeekProps) {
  const zone = location.timezone;
  const warnings = useWarnings(schedule.id);
  const lastDay = addWeeks(schedule.weekStart, 1);
  const timeOff = useTimeOff({ locationId: location.id, from: schedule.weekStart, to: lastDay });
  const pending = useTimeOff({ locationId: location.id, status: 'pending' });
  const availability = useCrewAvailability(crew.map((p) => p.id));
  const window = { from: localInstant(schedule.weekStart, 0, '00:00', zone).toISOString(), to: localInstant(lastDay, 0, '00:00', zone).toISOString() };
  const elsewhere = useShiftsElsewhere(crew.filter((p) => p.locationIds.length > 1).map((p) => p.id), window);
  const locations = useLocations();

  const byShift = new Map<number, Warning[]>();
  for (const w of warnings.data ?? []) byShift.set(w.shiftId, [...(byShift.get(w.shiftId) ?? []), w]);
  const plan: PlanContext = {
    warnings: byShift,
    timeOff: timeOff.data ?? [],
    availability,
    elsewhere,
    locationNames: new Map((locations.data ?? []).map((l) => [l.id, l.name])),
  };
  return (
    <>
      <TimeOffRequests requests={pending.data ?? []} />
      <WeekGrid schedule={schedule} crew={crew} locationId={location.id} zone={zone} plan={plan} labor={labor} onAdd={onAdd} onEdit={onEdit} />
    </>
  );
}
