import { useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { startSession, useMe } from '../api/auth.js';
import { setUnauthenticatedHandler } from '../api/http.js';
import { useLiveUpdates } from '../api/live.js';
import type { User } from '../api/types.js';
import { LoginPage } from '../features/auth/LoginPage.js';
import { SetupPage } from '../features/auth/SetupPage.js';
import { WelcomePage } from '../features/auth/WelcomePage.js';
import { NoticeProvider } from '../ui/notices.js';
import { LoadError, Spinner } from '../ui/status.js';
import { Shell } from './Shell.js';
import { navigate, safeReturnPath, useLocation } from './router.js';
import { homeFor, Routes, routesFor } from './routes.js';

/** Pages for people without a session: they open whether or not someone is signed in here. */
const PUBLIC_PAGES = ['/login', '/setup', '/welcome'];

function loginHref(returnTo: string, reason?: 'expired'): string {
  const params = new URLSearchParams();
  if (safeReturnPath(returnTo) && returnTo !== '/') params.set('next', returnTo);
  if (reason) params.set('reason', reason);
  const qs = params.toString();
  return qs ? `/login?${qs}` : '/login';
}

/** Back where the person was, if that place is one of theirs (another account may log in). */
function returnPathFor(user: User, next: string | null): string {
  const path = safeReturnPath(next);
  const pathname = path ? new URL(path, window.location.origin).pathname : null;
  return path && routesFor(user).some((r) => r.path === pathname) ? path : homeFor(user);
}

export function App() {
  const queryClient = useQueryClient();
  const me = useMe();
  const place = useLocation();

  useEffect(() => {
    setUnauthenticatedHandler(() => {
      if (PUBLIC_PAGES.includes(window.location.pathname)) return;
      const here = window.location.pathname + window.location.search;
      startSession(queryClient, null);
      navigate(loginHref(here, 'expired'), { replace: true });
    });
    return () => setUnauthenticatedHandler(null);
  }, [queryClient]);

  const user = me.data;
  const onLogin = place.path === '/login';
  const onPublicPage = PUBLIC_PAGES.includes(place.path);

  useEffect(() => {
    if (user === null && !onPublicPage) navigate(loginHref(place.href), { replace: true });
    if (user && onLogin) navigate(returnPathFor(user, place.params.get('next')), { replace: true });
    if (user && place.path === '/') navigate(homeFor(user), { replace: true });
  }, [user, onLogin, onPublicPage, place.href, place.path, place.params]);

  if (me.isPending) return <Spinner label="Starting Crew Plots" />;
  if (me.isError) {
    return (
      <main className="page-center">
        <LoadError error={me.error} what="your session" onRetry={() => void me.refetch()} />
      </main>
    );
  }
  if (onLogin) return <LoginPage />;
  // Setup and welcome links sign someone in themselves, replacing any session this browser has.
  if (place.path === '/setup') return <SetupPage />;
  if (place.path === '/welcome') return <WelcomePage />;
  // Without a session the effect above is already on its way to the login page.
  if (!user) return <Spinner />;
  return <SignedIn user={user} />;
}

/** Notices live with the session: nothing said to one person is left on screen for the next. */
function SignedIn({ user }: { user: User }) {
  useLiveUpdates(user.id);
  return (
    <NoticeProvider key={user.id}>
      <Shell user={user}>
        <Routes user={user} />
      </Shell>
    </NoticeProvider>
  );
}
