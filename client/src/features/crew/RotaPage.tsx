import { useEffect, type ReactNode } from 'react';
import { useLocations } from '../../api/locations.js';
import { useScheduleList } from '../../api/schedules.js';
import type { Location, ScheduleSummary, User } from '../../api/types.js';
import { PageHeader } from '../../app/PageHeader.js';
import { setParams, useLocation } from '../../app/router.js';
import { addWeeks, formatWeek, thisMonday } from '../../lib/time.js';
import { Field } from '../../ui/Field.js';
import { useClearNoticesOn } from '../../ui/notices.js';
import { EmptyState, LoadError, Spinner } from '../../ui/status.js';
import { chooseLocation, rememberLocation } from '../locations/chosenLocation.js';
import { LocationSelect } from '../locations/LocationSelect.js';
import { PublishedWeek } from './PublishedWeek.js';

/** The published weeks of the person's locations, open shifts up for grabs. */
export function RotaPage({ user }: { user: User }) {
  const locations = useLocations();
  const { params } = useLocation();
  const location = locations.data ? chooseLocation(locations.data, params.get('location')) : undefined;

  useEffect(() => {
    if (location) rememberLocation(location);
  }, [location]);
  useClearNoticesOn(`${location?.id}:${params.get('week')}`);

  const header = <PageHeader title="Schedules" subtitle={location ? `${location.name}, published weeks` : undefined} />;
  if (locations.isPending) return <Spinner label="Loading your locations" />;
  if (locations.isError) return <LoadError error={locations.error} what="your locations" onRetry={() => void locations.refetch()} />;
  if (!location) {
    return (
      <>
        {header}
        <EmptyState title="You are not on a location’s crew yet">
          <p>Once a manager adds you to a location, its published schedules appear here.</p>
        </EmptyState>
      </>
    );
  }
  return (
    <>
      {header}
      <WeekChoice
        location={location}
        user={user}
        requested={params.get('week')}
        locationPicker={
          locations.data.length > 1 && <LocationSelect locations={locations.data} value={location.id} onChange={(id) => setParams({ location: String(id), week: null })} />
        }
      />
    </>
  );
}

/** Picks the week: the one asked for, else this week, else the next published one, else the latest. */
function pickWeek(weeks: ScheduleSummary[], requested: string | null, current: string): ScheduleSummary | undefined {
  const ascending = [...weeks].sort((a, b) => a.weekStart.localeCompare(b.weekStart));
  return (
    ascending.find((s) => s.weekStart === requested) ??
    ascending.find((s) => s.weekStart === current) ??
    ascending.find((s) => s.weekStart > current) ??
    ascending[ascending.length - 1]
  );
}

interface WeekChoiceProps {
  location: Location;
  user: User;
  requested: string | null;
  locationPicker: ReactNode;
}

function WeekChoice({ location, user, requested, locationPicker }: WeekChoiceProps) {
  const schedules = useScheduleList(location.id, 'published');
  const toolbar = (week?: ReactNode) => (
    <div className="toolbar">
      {locationPicker}
      {week}
    </div>
  );
  if (schedules.isPending) {
    return (
      <>
        {toolbar()}
        <Spinner label="Loading schedules" />
      </>
    );
  }
  if (schedules.isError) {
    return (
      <>
        {toolbar()}
        <LoadError error={schedules.error} what="the schedules" onRetry={() => void schedules.refetch()} />
      </>
    );
  }

  const current = thisMonday(location.timezone);
  const chosen = pickWeek(schedules.data, requested, current);
  if (!chosen) {
    return (
      <>
        {toolbar()}
        <EmptyState title="Nothing published yet">
          <p>{location.name} has not published a schedule yet. Check back later.</p>
        </EmptyState>
      </>
    );
  }
  // Older weeks are history; the list starts a week back so "last week" can still be checked.
  const since = addWeeks(current, -1);
  const choices = schedules.data.filter((s) => s.weekStart >= since || s.id === chosen.id).sort((a, b) => a.weekStart.localeCompare(b.weekStart));

  const weekPicker = (
    <Field label="Week" className="field-inline">
      <select value={chosen.weekStart} onChange={(e) => setParams({ location: String(location.id), week: e.target.value })}>
        {choices.map((s) => (
          <option key={s.id} value={s.weekStart}>
            {formatWeek(s.weekStart)}
            {s.weekStart === current ? ' (this week)' : ''}
          </option>
        ))}
      </select>
    </Field>
  );
  return (
    <>
      {toolbar(weekPicker)}
      <PublishedWeek key={chosen.id} scheduleId={chosen.id} location={location} user={user} />
    </>
  );
}
