import { useState } from 'react';
import { useScheduleList } from '../../api/schedules.js';
import type { Location, SkippedShift } from '../../api/types.js';
import { useLocationCrew } from '../../api/users.js';
import { LoadError, Spinner } from '../../ui/status.js';
import { NoSchedule } from './NoSchedule.js';
import { ScheduleEditor } from './ScheduleEditor.js';

export interface CopyResult {
  sourceId: number;
  /** The copied week's Monday. */
  sourceWeek: string;
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
    // The list is newest week first, so the week before this one leads.
    const earlier = schedules.data.filter((s) => s.weekStart < week);
    return (
      <NoSchedule
        location={location}
        week={week}
        earlier={earlier}
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
