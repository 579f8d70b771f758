import { useEffect, useRef, useState } from 'react';
import { feedAddresses, useMakeCalendarFeed } from '../../api/calendar.js';
import { describeError } from '../../api/errors.js';
import { BusyButton } from '../../ui/BusyButton.js';
import { Dialog } from '../../ui/Dialog.js';
import { FormError } from '../../ui/status.js';

/** "Add to my calendar" on My shifts: a button, and the dialog that makes the feed's address. */
export function AddToCalendar({ userId }: { userId: number }) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button type="button" className="button button-secondary" onClick={() => setOpen(true)}>
        Add to my calendar
      </button>
      {open && <CalendarFeedDialog userId={userId} onClose={() => setOpen(false)} />}
    </>
  );
}

function CalendarFeedDialog({ userId, onClose }: { userId: number; onClose: () => void }) {
  const make = useMakeCalendarFeed();
  const [copied, setCopied] = useState(false);
  const addresses = make.data ? feedAddresses(make.data.url) : null;
  const field = useRef<HTMLInputElement>(null);
  // The button that made the link is gone: focus goes to the link it made.
  useEffect(() => {
    if (make.data) field.current?.focus();
  }, [make.data]);

  const copy = async (text: string) => {
    try {
      await navigator.clipboard.writeText(text);
      setCopied(true);
    } catch {
      // No clipboard (plain http, or refused): the address is selected for the person to copy.
      field.current?.select();
    }
  };

  return (
    <Dialog title="Add your shifts to your calendar" onClose={onClose}>
      <p>
        Your calendar app can subscribe to your published shifts at a private link and keep them up to date by itself: changes, swaps and removed shifts
        follow within about an hour.
      </p>
      {!addresses ? (
        <>
          <p className="muted">Anyone with the link can see your shifts. Making a new link stops any link you made before.</p>
          <FormError>{make.isError ? describeError(make.error) : null}</FormError>
          <div className="dialog-actions">
            <span className="spacer" />
            <button type="button" className="button button-ghost" onClick={onClose}>
              Not now
            </button>
            <BusyButton onClick={() => make.mutate(userId)} busy={make.isPending} data-autofocus>
              Make my calendar link
            </BusyButton>
          </div>
        </>
      ) : (
        <>
          <div className="field">
            <label htmlFor="calendar-feed-address">Your calendar link</label>
            <input ref={field} id="calendar-feed-address" type="text" readOnly value={addresses.https} onFocus={(e) => e.currentTarget.select()} />
            <p className="field-hint" id="calendar-feed-howto">
              On an iPhone or a Mac, choose Open in calendar app; in Google Calendar, choose Other calendars, then From URL, and paste the link.
            </p>
          </div>
          <p className="muted" role="status">
            {copied ? 'Link copied.' : 'This link is shown only now. Keep it private; make a new one here if it gets out.'}
          </p>
          <div className="dialog-actions">
            <button type="button" className="button button-ghost" onClick={onClose}>
              Done
            </button>
            <span className="spacer" />
            <button type="button" className="button button-secondary" onClick={() => void copy(addresses.https)} aria-describedby="calendar-feed-howto">
              Copy link
            </button>
            <a className="button" href={addresses.webcal} aria-describedby="calendar-feed-howto">
              Open in calendar app
            </a>
          </div>
        </>
      )}
    </Dialog>
  );
}
