import { useCallback, useEffect, useState, type RefObject } from 'react';

/**
 * After a submit that found errors, the first field marked invalid takes focus, so it is heard
 * and fixed first. The returned function asks for that; the focus moves in an effect, after React
 * has rendered the marks set alongside the request (a server's answer arrives outside any event,
 * where a timer or animation frame may fire before that render). Only submits ask: clearing one
 * error while typing must never move the cursor elsewhere.
 */
export function useFocusFirstInvalid(form: RefObject<HTMLFormElement | null>): () => void {
  const [requests, setRequests] = useState(0);
  useEffect(() => {
    if (requests > 0) form.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [requests, form]);
  return useCallback(() => setRequests((n) => n + 1), []);
}
