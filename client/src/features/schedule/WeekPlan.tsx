import { useState } from 'react';
import { useScheduleList } from '../../api/schedules.js';
import type { Location, SkippedShift } from '../../api/types.js';
import { useLocationCrew } from '../../api/users.js';
import { addWeeks } from '../../lib/time.js';
import { LoadError, Spinner } from '../../ui/status.js';
import { NoSchedule } from './NoSchedule.js';
import { ScheduleEditor } from './ScheduleEditor.js';

export interface CopyResult {
  sourceId: number;
  skipped: SkippedShift[];
}

/** One location's week: the schedule if there is one, else the ways to start it. */
export function WeekPlan({ location, week }: { location: Location; week: string }) {
  const schedules = useScheduleList(location.id);
  const crew = useLocationCrew(location.id);
  const [created, setCreated] = useState<number | null>(null);
  const [copy, setCopy] = useState<CopyResult | null>(null);

  if (schedules.isPending || crew.isPending) return <Spinner label="Loading the week" />;
  if (schedules.isError) return <LoadError error={schedules.error} what="the schedules" onRetry={() => void schedules.refetch()} />;
  if (crew.isError) return <LoadError error={crew.error} what="the crew" onRetry={() => void crew.refetch()} />;

  const scheduleId = schedules.data.find((s) => s.weekStart === week)?.id ?? created;
  if (scheduleId === null) {
    const previous = schedules.data.find((s) => s.weekStart === addWeeks(week, -1));
    return (
      <NoSchedule
        location={location}
        week={week}
        previous={previous}
        onCreated={(id, copied) => {
          setCreated(id);
          setCopy(copied);
        }}
      />
    );
  }
  return (
    <ScheduleEditor
      scheduleId={scheduleId}
      location={location}
      crew={crew.data}
      copy={copy}
      onDismissCopy={() => setCopy(null)}
      onDeleted={() => {
        setCreated(null);
        setCopy(null);
      }}
    />
  );
}
