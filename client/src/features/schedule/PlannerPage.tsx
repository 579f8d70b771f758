import { useEffect } from 'react';
import { useLocations } from '../../api/locations.js';
import { PageHeader } from '../../app/PageHeader.js';
import { Link, setParams, useLocation } from '../../app/router.js';
import { isMonday, thisMonday, zoneAbbreviation } from '../../lib/time.js';
import { useClearNoticesOn } from '../../ui/notices.js';
import { EmptyState, LoadError, Spinner } from '../../ui/status.js';
import { chooseLocation, rememberLocation } from '../locations/chosenLocation.js';
import { LocationSelect } from '../locations/LocationSelect.js';
import { WeekNav } from './WeekNav.js';
import { WeekPlan } from './WeekPlan.js';

/** Managers and admins plan one location's week at a time: /planner?location=3&week=2026-11-30. */
export function PlannerPage() {
  const locations = useLocations();
  const { params } = useLocation();
  const location = locations.data ? chooseLocation(locations.data, params.get('location')) : undefined;
  const weekParam = params.get('week');
  const week = weekParam && isMonday(weekParam) ? weekParam : location ? thisMonday(location.timezone) : null;

  useEffect(() => {
    if (location) rememberLocation(location);
  }, [location]);
  useClearNoticesOn(`${location?.id}:${week}`);

  if (locations.isPending) return <Spinner label="Loading locations" />;
  if (locations.isError) return <LoadError error={locations.error} what="your locations" onRetry={() => void locations.refetch()} />;
  if (!location || !week) {
    return (
      <>
        <PageHeader title="Planner" />
        <EmptyState title="No locations yet">
          <p>
            Schedules belong to a location. <Link href="/locations">Add a location</Link> first, or ask an admin to add you to one.
          </p>
        </EmptyState>
      </>
    );
  }

  return (
    <>
      <PageHeader
        title="Planner"
        subtitle={
          <>
            {location.name} · times in {location.timezone.replace(/_/g, ' ')} ({zoneAbbreviation(location.timezone)})
          </>
        }
      />
      <div className="toolbar">
        <LocationSelect locations={locations.data} value={location.id} onChange={(id) => setParams({ location: String(id), week: null })} />
        <WeekNav week={week} current={thisMonday(location.timezone)} onChange={(w) => setParams({ location: String(location.id), week: w })} />
      </div>
      <WeekPlan key={`${location.id}:${week}`} location={location} week={week} />
    </>
  );
}
