import type { ReactNode } from 'react';
import { usePageTitle } from '../../app/PageHeader.js';

/** The card the pages before signing in share: login, first-run setup, the welcome link. */
export function PublicCard({ title, lede, children }: { title: string; lede?: ReactNode; children: ReactNode }) {
  usePageTitle(title);
  return (
    <main className="login">
      <div className="login-card">
        <div className="login-brand">
          <img src="/favicon.svg" alt="" width={40} height={40} />
          <span>
            Crew Plots <span className="brand-pro">Pro</span>
          </span>
        </div>
        <h1>{title}</h1>
        {lede && <p className="login-lede">{lede}</p>}
        {children}
      </div>
    </main>
  );
}
