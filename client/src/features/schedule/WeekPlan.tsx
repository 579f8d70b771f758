import { useState } from 'react';
import { useLocationWeek } from '../../api/schedules.js';
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

/**
 * One location's week: the schedule if there is one, else the ways to start it. The week (schedule
 * and shifts, the previous week) and the crew are two requests sent at once, both started before
 * this screen's code has arrived when the address names the week (app/preload.ts).
 */
export function WeekPlan({ location, week }: { location: Location; week: string }) {
  const plan = useLocationWeek(location.id, week);
  const crew = useLocationCrew(location.id);
  const [copy, setCopy] = useState<CopyResult | null>(null);

  if (plan.isPending || crew.isPending) return <Spinner label="Loading the week" />;
  if (plan.isError) return <LoadError error={plan.error} what="the week" onRetry={() => void plan.refetch()} />;
  if (crew.isError) return <LoadError error={crew.error} what="the crew" onRetry={() => void crew.refetch()} />;

  const { schedule, previous } = plan.data;
  if (!schedule) {
    // The new week is put into this week's data by the create itself (api/schedules.ts).
    return <NoSchedule location={location} week={week} previous={previous} onCreated={(_id, copied) => setCopy(copied)} />;
  }
  return (
    <ScheduleEditor
      schedule={schedule}
      location={location}
      crew={crew.data}
      copy={copy}
      onDismissCopy={() => setCopy(null)}
      onDeleted={() => setCopy(null)}
    />
  );
}
