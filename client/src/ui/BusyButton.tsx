import type { ButtonHTMLAttributes, MouseEvent } from 'react';

type Props = ButtonHTMLAttributes<HTMLButtonElement> & { busy: boolean; busyLabel?: string };

/**
 * A button that ignores clicks while its action runs. It is not `disabled`, because a disabled
 * button drops keyboard focus to the page body and a screen reader loses its place.
 */
export function BusyButton({ busy, busyLabel, children, onClick, className = 'button', type = 'button', ...rest }: Props) {
  const click = (event: MouseEvent<HTMLButtonElement>) => {
    if (busy) return event.preventDefault();
    onClick?.(event);
  };
  return (
    <button {...rest} type={type} className={className} aria-disabled={busy || undefined} onClick={click}>
      {busy && busyLabel ? busyLabel : children}
    </button>
  );
}
