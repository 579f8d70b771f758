import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';

interface Notice {
  id: number;
  message: string;
  tone: 'success' | 'error';
}

/** How long a notice stays, and how many show at once (the oldest goes first). */
const LIFETIME_MS = 6000;
const AT_ONCE = 2;

interface Notices {
  notify: (message: string, tone?: Notice['tone']) => void;
  /** Drops every notice: what was said about one week means nothing on the next. */
  clear: () => void;
}

const NoticeContext = createContext<Notices>({ notify: () => {}, clear: () => {} });

/** Short confirmations after an action ("Shift added"), read out by screen readers as they appear. */
export function NoticeProvider({ children }: { children: ReactNode }) {
  const [notices, setNotices] = useState<Notice[]>([]);
  const next = useRef(1);

  const dismiss = useCallback((id: number) => setNotices((all) => all.filter((n) => n.id !== id)), []);
  const notify = useCallback(
    (message: string, tone: Notice['tone'] = 'success') => {
      const id = next.current++;
      setNotices((all) => [...all, { id, message, tone }].slice(-AT_ONCE));
      window.setTimeout(() => dismiss(id), LIFETIME_MS);
    },
    [dismiss],
  );
  const clear = useCallback(() => setNotices((all) => (all.length ? [] : all)), []);
  const value = useMemo(() => ({ notify, clear }), [notify, clear]);

  return (
    <NoticeContext.Provider value={value}>
      {children}
      <div className="notices" role="status" aria-live="polite">
        {notices.map((n) => (
          <div key={n.id} className={`notice notice-${n.tone}`}>
            <span>{n.message}</span>
            <button type="button" className="icon-button" onClick={() => dismiss(n.id)} aria-label="Dismiss">
              <span aria-hidden="true">×</span>
            </button>
          </div>
        ))}
      </div>
    </NoticeContext.Provider>
  );
}

export const useNotify = () => useContext(NoticeContext).notify;

/** Clears the notices whenever `place` changes: "Week published" is not about the next week. */
export function useClearNoticesOn(place: string): void {
  const { clear } = useContext(NoticeContext);
  useEffect(() => clear(), [clear, place]);
}
