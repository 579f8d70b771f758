import { useEffect, useId, useRef, type ReactNode } from 'react';
import { ConnectionBanner } from './ConnectionBanner.js';

interface Props {
  title: string;
  description?: ReactNode;
  onClose: () => void;
  children: ReactNode;
  /** Narrow dialogs for confirmations. */
  size?: 'normal' | 'small';
}

/**
 * A modal built on the native <dialog>: showModal() makes the rest of the page inert and gives
 * Escape for free. Mount it to open it and unmount it to close it; focus goes to the first field
 * on open and back to whatever opened it on close.
 */
export function Dialog({ title, description, onClose, children, size = 'normal' }: Props) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const descriptionId = useId();
  const closeRef = useRef(onClose);
  closeRef.current = onClose;

  useEffect(() => {
    const dialog = ref.current!;
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    dialog.showModal();
    const first = dialog.querySelector<HTMLElement>('[data-autofocus], input:not([type=hidden]):not([disabled]), select, textarea');
    (first ?? dialog.querySelector<HTMLElement>('button'))?.focus();

    // Escape asks the owner to close, so the owner's state stays the one source of truth.
    const onCancel = (event: Event) => {
      event.preventDefault();
      closeRef.current();
    };
    dialog.addEventListener('cancel', onCancel);
    return () => {
      dialog.removeEventListener('cancel', onCancel);
      dialog.close();
      if (opener?.isConnected) opener.focus();
    };
  }, []);

  return (
    <dialog ref={ref} className={`dialog dialog-${size}`} aria-labelledby={titleId} aria-describedby={description ? descriptionId : undefined}>
      <div className="dialog-header">
        <h2 id={titleId}>{title}</h2>
        <button type="button" className="icon-button" onClick={onClose} aria-label="Close">
          <span aria-hidden="true">×</span>
        </button>
      </div>
      {description && (
        <div id={descriptionId} className="dialog-description">
          {description}
        </div>
      )}
      {/* The page behind a modal dialog is inert, its connection banner too: the dialog repeats it. */}
      <ConnectionBanner />
      <div className="dialog-body">{children}</div>
    </dialog>
  );
}
