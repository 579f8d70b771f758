import { useEffect, useRef, type ReactNode } from 'react';

/**
 * The page's heading. It takes focus when the page changes, so a screen reader announces where
 * the person landed and keyboard users continue from the top of the new page.
 */
export function PageHeader({ title, subtitle, actions }: { title: string; subtitle?: ReactNode; actions?: ReactNode }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (!document.querySelector('dialog[open]')) ref.current?.focus({ preventScroll: true });
  }, [title]);
  usePageTitle(title);
  return (
    <div className="page-header">
      <div>
        <h1 ref={ref} tabIndex={-1}>
          {title}
        </h1>
        {subtitle && <div className="page-subtitle">{subtitle}</div>}
      </div>
      {actions && <div className="page-actions">{actions}</div>}
    </div>
  );
}

/** The tab's title, and what history and bookmarks show: "Planner · Crew Plots Pro". */
export function usePageTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} · Crew Plots Pro`;
  }, [title]);
}
