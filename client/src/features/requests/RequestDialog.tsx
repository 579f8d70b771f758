import { useState, type FormEvent } from 'react';
import { describeError, isApiError } from '../../api/errors.js';
import { useCreateShiftRequest } from '../../api/requests.js';
import { useSchedule } from '../../api/schedules.js';
import type { Location, UserShift } from '../../api/types.js';
import { formatDayLong, formatRange, localDate } from '../../lib/time.js';
import { BusyButton } from '../../ui/BusyButton.js';
import { Dialog } from '../../ui/Dialog.js';
import { Field } from '../../ui/Field.js';
import { useNotify } from '../../ui/notices.js';
import { FormError, Spinner } from '../../ui/status.js';

/** Offer one's shift to a colleague (a swap) or give it up (a drop); a manager decides either. */
export function RequestDialog({ shift, location, me, onClose }: { shift: UserShift; location: Location | undefined; me: number; onClose: () => void }) {
  const create = useCreateShiftRequest();
  const week = useSchedule(shift.scheduleId);
  const notify = useNotify();
  const [kind, setKind] = useState<'swap' | 'drop'>('swap');
  const [toUserId, setToUserId] = useState('');
  const [note, setNote] = useState('');
  const [missing, setMissing] = useState(false);
  const zone = location?.timezone ?? 'UTC';
  const when = `${formatDayLong(localDate(shift.startsAt, zone))}, ${formatRange(shift.startsAt, shift.endsAt, zone)}`;

  // Colleagues on this week's schedule (crew may not list the location's people).
  const colleagues = new Map<number, string>();
  for (const s of week.data?.shifts ?? []) if (s.userId !== null && s.userId !== me && s.userName) colleagues.set(s.userId, s.userName);
  const choices = [...colleagues].sort((a, b) => a[1].localeCompare(b[1]));

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (kind === 'swap' && !toUserId) return setMissing(true);
    create.mutate(
      { shiftId: shift.id, kind, ...(kind === 'swap' ? { toUserId: Number(toUserId) } : {}), ...(note.trim() ? { note: note.trim() } : {}) },
      {
        onSuccess: (made) => {
          notify(made.kind === 'swap' ? `Swap offered to ${made.toUser?.name}` : 'Drop asked: a manager will decide');
          onClose();
        },
      },
    );
  };

  const error = create.error;
  const colleagueError = missing && kind === 'swap' && !toUserId ? 'Choose who would take the shift' : isApiError(error) ? error.fieldError('toUserId') : undefined;
  return (
    <Dialog title="Swap or drop this shift" description={`${shift.position}, ${when}${location ? ` at ${location.name}` : ''}`} onClose={onClose}>
      <form onSubmit={submit} noValidate>
        <FormError>{error && !colleagueError ? (isApiError(error, 'shift_overlap') ? 'That colleague already has a shift at that time. Choose someone else.' : describeError(error)) : null}</FormError>
        <fieldset className="choice-group">
          <legend>What would you like?</legend>
          <label className="choice">
            <input type="radio" name="kind" value="swap" checked={kind === 'swap'} onChange={() => setKind('swap')} />
            <span>
              <strong>Swap</strong>: a colleague takes it, once they accept and a manager approves
            </span>
          </label>
          <label className="choice">
            <input type="radio" name="kind" value="drop" checked={kind === 'drop'} onChange={() => setKind('drop')} />
            <span>
              <strong>Drop</strong>: it becomes an open shift once a manager approves
            </span>
          </label>
        </fieldset>
        {kind === 'swap' &&
          (week.isPending ? (
            <Spinner label="Loading colleagues" />
          ) : (
            <Field label="Colleague" hint="People on this week’s schedule." error={colleagueError}>
              <select value={toUserId} onChange={(e) => setToUserId(e.target.value)}>
                <option value="">Choose a colleague</option>
                {choices.map(([id, name]) => (
                  <option key={id} value={id}>
                    {name}
                  </option>
                ))}
              </select>
            </Field>
          ))}
        <Field label="Note (optional)" hint="Why, or anything the manager should know.">
          <textarea value={note} maxLength={500} rows={2} onChange={(e) => setNote(e.target.value)} />
        </Field>
        <div className="dialog-actions">
          <span className="spacer" />
          <button type="button" className="button button-ghost" onClick={onClose}>
            Keep my shift
          </button>
          <BusyButton type="submit" className="button" busy={create.isPending}>
            {kind === 'swap' ? 'Offer swap' : 'Ask to drop'}
          </BusyButton>
        </div>
      </form>
    </Dialog>
  );
}
