import { lazy, Suspense, type ReactNode } from 'react';
import type { Role, User } from '../api/types.js';
import { preloadPlanner } from '../features/schedule/preloadPlanner.js';
import { ErrorBoundary } from '../ui/ErrorBoundary.js';
import { Spinner } from '../ui/status.js';
import { NotFoundPage } from './NotFoundPage.js';
import { useLocation } from './router.js';

// Each screen is its own chunk: a phone that only ever opens "My shifts" never downloads the planner.
const loadPlanner = () => import('../features/schedule/PlannerPage.js');
const loadMyShifts = () => import('../features/crew/MyShiftsPage.js');
const loadRota = () => import('../features/crew/RotaPage.js');
const loadAvailability = () => import('../features/crew/AvailabilityPage.js');
const loadPeople = () => import('../features/users/PeoplePage.js');
const loadLocations = () => import('../features/locations/LocationsPage.js');
const loadNotifications = () => import('../features/notifications/NotificationsPage.js');
const loadAccount = () => import('../features/account/AccountPage.js');
const PlannerPage = lazy(() => loadPlanner().then((m) => ({ default: m.PlannerPage })));
const MyShiftsPage = lazy(() => loadMyShifts().then((m) => ({ default: m.MyShiftsPage })));
const RotaPage = lazy(() => loadRota().then((m) => ({ default: m.RotaPage })));
const AvailabilityPage = lazy(() => loadAvailability().then((m) => ({ default: m.AvailabilityPage })));
const PeoplePage = lazy(() => loadPeople().then((m) => ({ default: m.PeoplePage })));
const LocationsPage = lazy(() => loadLocations().then((m) => ({ default: m.LocationsPage })));
const NotificationsPage = lazy(() => loadNotifications().then((m) => ({ default: m.NotificationsPage })));
const AccountPage = lazy(() => loadAccount().then((m) => ({ default: m.AccountPage })));

interface Route {
  path: string;
  label: string;
  roles: readonly Role[];
  render: (user: User) => ReactNode;
  /** Reached from the bell or the account name in the top bar, not from the navigation. */
  hidden?: boolean;
  /** Fetches the screen's code (app/preload.ts starts it with the session probe on a cold load). */
  load: () => Promise<unknown>;
  /** Starts the reads the screen opens with, for the address it is opened at. */
  preloadData?: (params: URLSearchParams) => void;
}

/** Every screen, who may see it, and its place in the navigation (in this order). */
export const ROUTES: readonly Route[] = [
  { path: '/planner', label: 'Planner', roles: ['admin', 'manager'], render: () => <PlannerPage />, load: loadPlanner, preloadData: preloadPlanner },
  { path: '/my-shifts', label: 'My shifts', roles: ['crew', 'manager'], render: (user) => <MyShiftsPage user={user} />, load: loadMyShifts },
  { path: '/schedules', label: 'Schedules', roles: ['crew'], render: (user) => <RotaPage user={user} />, load: loadRota },
  { path: '/availability', label: 'Availability', roles: ['crew', 'manager'], render: (user) => <AvailabilityPage user={user} />, load: loadAvailability },
  { path: '/people', label: 'People', roles: ['admin', 'manager'], render: (user) => <PeoplePage me={user} />, load: loadPeople },
  { path: '/locations', label: 'Locations', roles: ['admin'], render: () => <LocationsPage />, load: loadLocations },
  { path: '/notifications', label: 'Notifications', roles: ['admin', 'manager', 'crew'], render: () => <NotificationsPage />, load: loadNotifications, hidden: true },
  { path: '/account', label: 'Your account', roles: ['admin', 'manager', 'crew'], render: (user) => <AccountPage user={user} />, load: loadAccount, hidden: true },
];

export const routesFor = (user: User) => ROUTES.filter((r) => r.roles.includes(user.role));

export const homeFor = (user: User) => routesFor(user)[0]!.path;

export const navFor = (user: User) => routesFor(user).filter((r) => !r.hidden);

export function Routes({ user }: { user: User }) {
  const { path } = useLocation();
  const route = routesFor(user).find((r) => r.path === path);
  if (!route) return <NotFoundPage home={homeFor(user)} />;
  // Keyed by the screen, so moving to another screen leaves a failed one behind.
  return (
    <ErrorBoundary key={route.path} what="this page">
      <Suspense fallback={<Spinner />}>{route.render(user)}</Suspense>
    </ErrorBoundary>
  );
}
