import { useState } from 'react';
import { useSchedule } from '../../api/schedules.js';
import type { Location, User } from '../../api/types.js';
import { LoadError, Spinner } from '../../ui/status.js';
import { CopyReport } from './CopyReport.js';
import { ScheduleBar } from './ScheduleBar.js';
import { ShiftDialog, type ShiftDialogTarget } from './ShiftDialog.js';
import { WeekGrid } from './WeekGrid.js';
import type { CopyResult } from './WeekPlan.js';
import { PlannerRequests } from '../requests/PlannerRequests.js';
import { useMe } from '../../api/auth.js';

interface Props {
  scheduleId: number;
  location: Location;
  crew: User[];
  copy: CopyResult | null;
  onDismissCopy: () => void;
  onDeleted: () => void;
}

export function ScheduleEditor({ scheduleId, location, crew, copy, onDismissCopy, onDeleted }: Props) {
  const schedule = useSchedule(scheduleId);
  const [dialog, setDialog] = useState<ShiftDialogTarget | null>(null);
  const me = useMe().data;

  if (schedule.isPending) return <Spinner label="Loading the schedule" />;
  if (schedule.isError) return <LoadError error={schedule.error} what="the schedule" onRetry={() => void schedule.refetch()} />;

  const data = schedule.data;
  return (
    <>
      <ScheduleBar schedule={data} zone={location.timezone} onAddShift={() => setDialog({ mode: 'create', userId: null, date: data.weekStart })} onDeleted={onDeleted} />
      <PlannerRequests schedule={data} zone={location.timezone} me={me?.id ?? 0} />
      {copy && <CopyReport copy={copy} schedule={data} zone={location.timezone} onDismiss={onDismissCopy} />}
      <WeekGrid
        schedule={data}
        crew={crew}
        locationId={location.id}
        zone={location.timezone}
        onAdd={(userId, date) => setDialog({ mode: 'create', userId, date })}
        onEdit={(shift) => setDialog({ mode: 'edit', shift })}
      />
      {dialog && <ShiftDialog target={dialog} schedule={data} location={location} crew={crew} onClose={() => setDialog(null)} />}
    </>
  );
}
