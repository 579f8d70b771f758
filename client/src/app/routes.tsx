import { lazy, Suspense, type ReactNode } from 'react';
import type { Role, User } from '../api/types.js';
import { ErrorBoundary } from '../ui/ErrorBoundary.js';
import { Spinner } from '../ui/status.js';
import { NotFoundPage } from './NotFoundPage.js';
import { useLocation } from './router.js';

// Each screen is its own chunk: a phone that only ever opens "My shifts" never downloads the planner.
const PlannerPage = lazy(() => import('../features/schedule/PlannerPage.js').then((m) => ({ default: m.PlannerPage })));
const MyShiftsPage = lazy(() => import('../features/crew/MyShiftsPage.js').then((m) => ({ default: m.MyShiftsPage })));
const RotaPage = lazy(() => import('../features/crew/RotaPage.js').then((m) => ({ default: m.RotaPage })));
const PeoplePage = lazy(() => import('../features/users/PeoplePage.js').then((m) => ({ default: m.PeoplePage })));
const NotificationsPage = lazy(() => import('../features/notifications/NotificationsPage.js').then((m) => ({ default: m.NotificationsPage })));
const LocationsPage = lazy(() => import('../features/locations/LocationsPage.js').then((m) => ({ default: m.LocationsPage })));

interface Route {
  path: string;
  label: string;
  roles: readonly Role[];
  render: (user: User) => ReactNode;
  /** Reached from the bell, not from the navigation. */
  hidden?: boolean;
}

/** Every screen, who may see it, and its place in the navigation (in this order). */
export const ROUTES: readonly Route[] = [
  { path: '/planner', label: 'Planner', roles: ['admin', 'manager'], render: () => <PlannerPage /> },
  { path: '/my-shifts', label: 'My shifts', roles: ['crew', 'manager'], render: (user) => <MyShiftsPage user={user} /> },
  { path: '/schedules', label: 'Schedules', roles: ['crew'], render: (user) => <RotaPage user={user} /> },
  { path: '/people', label: 'People', roles: ['admin', 'manager'], render: (user) => <PeoplePage me={user} /> },
  { path: '/locations', label: 'Locations', roles: ['admin'], render: () => <LocationsPage /> },
  { path: '/notifications', label: 'Notifications', roles: ['admin', 'manager', 'crew'], render: () => <NotificationsPage />, hidden: true },
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
