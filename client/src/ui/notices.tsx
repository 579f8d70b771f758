import { createContext, useCallback, useContext, useMemo, useRef, useState, type ReactNode } from 'react';

interface Notice {
  id: number;
  message: string;
  tone: 'success' | 'error';
}

const NoticeContext = createContext<(message: string, tone?: Notice['tone']) => void>(() => {});

/** Short confirmations after an action ("Shift added"), read out by screen readers as they appear. */
export function NoticeProvider({ children }: { children: ReactNode }) {
  const [notices, setNotices] = useState<Notice[]>([]);
  const next = useRef(1);

  const dismiss = useCallback((id: number) => setNotices((all) => all.filter((n) => n.id !== id)), []);
  const notify = useCallback(
    (message: string, tone: Notice['tone'] = 'success') => {
      const id = next.current++;
      setNotices((all) => [...all.slice(-2), { id, message, tone }]);
      window.setTimeout(() => dismiss(id), 6000);
    },
    [dismiss],
  );
  const value = useMemo(() => notify, [notify]);

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

export const useNotify = () => useContext(NoticeContext);
