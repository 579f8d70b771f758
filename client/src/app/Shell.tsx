import type { ReactNode } from 'react';
import { useLogout } from '../api/auth.js';
import type { User } from '../api/types.js';
import { Link, navigate, useLocation } from './router.js';
import { navFor } from './routes.js';
import { Bell } from '../features/notifications/Bell.js';
import { BusyButton } from '../ui/BusyButton.js';

const ROLE_NAMES = { admin: 'Admin', manager: 'Manager', crew: 'Crew' } as const;

export function Shell({ user, children }: { user: User; children: ReactNode }) {
  const { path } = useLocation();
  const logout = useLogout();

  const signOut = () =>
    logout.mutate(undefined, {
      onSettled: () => navigate('/login', { replace: true }),
    });

  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <div className="topbar-inner">
          <Link href="/" className="brand" aria-label="Crew Plots Pro, start page">
            <img src="/favicon.svg" alt="" width={28} height={28} />
            <span>
              Crew Plots <span className="brand-pro">Pro</span>
            </span>
          </Link>
          <nav aria-label="Main" className="mainnav">
            <ul>
              {navFor(user).map((r) => (
                <li key={r.path}>
                  <Link href={r.path} aria-current={path === r.path ? 'page' : undefined}>
                    {r.label}
                  </Link>
                </li>
              ))}
            </ul>
          </nav>
          <Bell current={path === '/notifications'} />
          <div className="account">
            <span className="account-name">
              {user.name}
              <span className="account-role">{ROLE_NAMES[user.role]}</span>
            </span>
            <BusyButton className="button button-ghost button-small" onClick={signOut} busy={logout.isPending}>
              Log out
            </BusyButton>
          </div>
        </div>
      </header>
      <main id="main" className="content">
        {children}
      </main>
    </div>
  );
}
