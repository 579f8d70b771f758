import type { ReactNode } from 'react';
import { describeError } from '../api/errors.js';

export function Spinner({ label = 'Loading' }: { label?: string }) {
  return (
    <div className="loading" role="status">
      <span className="spinner" aria-hidden="true" />
      <span>{label}…</span>
    </div>
  );
}

/** A failed load, with a way to try again. */
export function LoadError({ error, onRetry, what, retryLabel = 'Try again' }: { error: unknown; onRetry?: () => void; what?: string; retryLabel?: string }) {
  return (
    <div className="alert alert-error" role="alert">
      <p>
        {what ? <strong>Could not load {what}. </strong> : null}
        {describeError(error)}
      </p>
      {onRetry && (
        <button type="button" className="button button-secondary button-small" onClick={onRetry}>
          {retryLabel}
        </button>
      )}
    </div>
  );
}

/** A failed action, shown above the form or the buttons that caused it. */
export function FormError({ children }: { children: ReactNode }) {
  if (!children) return null;
  return (
    <div className="alert alert-error" role="alert">
      {children}
    </div>
  );
}

export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty">
      <h3>{title}</h3>
      {children}
    </div>
  );
}

export function Badge({ tone, children }: { tone: 'draft' | 'published' | 'inactive' | 'role' | 'open'; children: ReactNode }) {
  return <span className={`badge badge-${tone}`}>{children}</span>;
}
