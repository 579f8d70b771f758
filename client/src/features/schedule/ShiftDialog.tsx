import { useId, useRef, useState, type FormEvent } from 'react';
import { describeError, isApiError } from '../../api/errors.js';
import { useWriteShift } from '../../api/schedules.js';
import type { Location, Schedule, Shift, User, WarningCode } from '../../api/types.js';
import { formatDayLong, formatHours, weekDates } from '../../lib/time.js';
import { Dialog } from '../../ui/Dialog.js';
import { Field } from '../../ui/Field.js';
import { BusyButton } from '../../ui/BusyButton.js';
import { useNotify } from '../../ui/notices.js';
import { FormError } from '../../ui/status.js';
import { describeConflicts } from './conflicts.js';
import { knownPositions } from './grid.js';
import {
  blankValues,
  endsNextDay,
  lengthMs,
  SERVER_FIELDS,
  toBody,
  validate,
  valuesFromShift,
  type ShiftFormErrors,
  type ShiftFormValues,
} from './shiftForm.js';
import { useFocusFirstInvalid } from '../../ui/focusFirstInvalid.js';
import { changedFields, staleFrom, StaleShiftNotice, type Stale } from './StaleShift.js';

export type ShiftDialogTarget = { mode: 'create'; userId: number | null; date: string } | { mode: 'edit'; shift: Shift };

interface Props {
  target: ShiftDialogTarget;
  schedule: Schedule;
  location: Location;
  crew: User[];
  onClose: () => void;
}

const positionAt = (crew: User[], userId: string, locationId: number) =>
  crew.find((p) => String(p.id) === userId)?.memberships.find((m) => m.locationId === locationId)?.position ?? '';

export function ShiftDialog({ target, schedule, location, crew, onClose }: Props) {
  const zone = location.timezone;
  const editing = target.mode === 'edit' ? target.shift : null;
  const [values, setValues] = useState<ShiftFormValues>(() => {
    if (target.mode === 'edit') return valuesFromShift(target.shift, zone);
    return blankValues(target.userId, target.date, positionAt(crew, String(target.userId ?? ''), location.id));
  });
  const formRef = useRef<HTMLFormElement>(null);
  const focusFirstInvalid = useFocusFirstInvalid(formRef);
  const [errors, setErrors] = useState<ShiftFormErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [overlaps, setOverlaps] = useState<string[] | null>(null);
  const [confirmingDelete, setConfirmingDelete] = useState(false);
  const [stale, setStale] = useState<Stale | null>(null);
  const write = useWriteShift();
  const notify = useNotify();
  const positionsId = useId();

  const set = <K extends keyof ShiftFormValues>(key: K, value: ShiftFormValues[K]) => {
    setValues((v) => {
      const next = { ...v, [key]: value };
      // Picking someone fills in their usual position, unless one was typed already.
      if (key === 'userId' && !v.position.trim()) next.position = positionAt(crew, String(value), location.id);
      return next;
    });
    setErrors((e) => ({ ...e, [key]: undefined }));
    setOverlaps(null);
  };

  const showServerError = async (err: unknown, body: ReturnType<typeof toBody>) => {
    if (isApiError(err, 'version_mismatch') && editing) {
      setStale(staleFrom(err, { kind: 'update', changes: changedFields(toBody(valuesFromShift(editing, zone), schedule.weekStart, zone), body) }));
      return;
    }
    if (isApiError(err, 'shift_overlap')) {
      setOverlaps(await describeConflicts(err.conflicts, schedule, body.userId, body, zone));
      return;
    }
    if (isApiError(err, 'validation_failed') && err.errors.length > 0) {
      const placed: ShiftFormErrors = {};
      const elsewhere: string[] = [];
      for (const e of err.errors) {
        const field = SERVER_FIELDS[e.path.split('.')[0] ?? ''];
        if (field) placed[field] = e.message;
        else elsewhere.push(e.message);
      }
      setErrors(placed);
      setFormError(elsewhere.length ? elsewhere.join(' ') : null);
      focusFirstInvalid();
      return;
    }
    if (isApiError(err, 'unprocessable')) {
      setErrors({ userId: err.message });
      focusFirstInvalid();
      return;
    }
    setFormError(describeError(err));
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (confirmingDelete || stale) return;
    setFormError(null);
    setOverlaps(null);
    const found = validate(values, schedule.weekStart, zone);
    setErrors(found);
    if (Object.keys(found).length > 0) return focusFirstInvalid();
    const body = toBody(values, schedule.weekStart, zone);
    const done = (saved: unknown) => {
      const warned = warningsIn(saved);
      notify(`${editing ? 'Shift updated' : 'Shift added'}${warned ? `, with a warning: ${warned}` : ''}`);
      onClose();
    };
    const fail = (err: unknown) => void showServerError(err, body);
    if (editing) write.mutate({ kind: 'update', scheduleId: schedule.id, shiftId: editing.id, version: editing.version, body }, { onSuccess: done, onError: fail });
    else write.mutate({ kind: 'create', scheduleId: schedule.id, body }, { onSuccess: done, onError: fail });
  };

  const remove = () => {
    if (!editing) return;
    write.mutate(
      { kind: 'delete', scheduleId: schedule.id, shiftId: editing.id, version: editing.version },
      {
        onSuccess: () => {
          notify('Shift deleted');
          onClose();
        },
        onError: (err) => {
          setConfirmingDelete(false);
          if (isApiError(err, 'version_mismatch')) setStale(staleFrom(err, { kind: 'delete' }));
          else setFormError(describeError(err));
        },
      },
    );
  };

  /** This person's change, made again on top of the version someone else saved. */
  const reapply = () => {
    if (!stale || !editing) return;
    const { current, mine } = stale;
    const fail = (err: unknown) => {
      if (isApiError(err, 'version_mismatch')) setStale(staleFrom(err, mine));
      else {
        setStale(null);
        void showServerError(err, toBody(values, schedule.weekStart, zone));
      }
    };
    const saved = (message: string) => () => {
      notify(message);
      onClose();
    };
    if (current === null) {
      // Deleted meanwhile: what is on the form becomes a new shift.
      write.mutate({ kind: 'create', scheduleId: schedule.id, body: toBody(values, schedule.weekStart, zone) }, { onSuccess: saved('Shift added'), onError: fail });
    } else if (mine.kind === 'update') {
      write.mutate({ kind: 'update', scheduleId: schedule.id, shiftId: current.id, version: current.version, body: mine.changes }, { onSuccess: saved('Shift updated'), onError: fail });
    } else {
      write.mutate({ kind: 'delete', scheduleId: schedule.id, shiftId: current.id, version: current.version }, { onSuccess: saved('Shift deleted'), onError: fail });
    }
  };

  const keepTheirs = () => {
    notify(stale?.current ? `Kept ${stale.by}'s version` : 'Shift stays deleted');
    onClose();
  };

  const length = lengthMs(values, schedule.weekStart, zone);
  const timing = length !== null && length > 0 ? `${formatHours(length / 3_600_000)}${endsNextDay(values) ? ', ends the next day' : ''}` : null;

  return (
    <Dialog title={editing ? 'Edit shift' : 'Add shift'} onClose={onClose} description={<>Times are {location.name} local time ({zone.replace(/_/g, ' ')}).</>}>
      <form ref={formRef} onSubmit={submit} noValidate className="form">
        <FormError>{formError}</FormError>
        <Field label="Who" error={errors.userId}>
          <select value={values.userId} onChange={(e) => set('userId', e.target.value)}>
            <option value="">Open shift (anyone can take it)</option>
            {[...crew]
              .sort((a, b) => a.name.localeCompare(b.name))
              .map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name}
                </option>
              ))}
            {editing?.userId && !crew.some((p) => p.id === editing.userId) && <option value={editing.userId}>{editing.userName}</option>}
          </select>
        </Field>
        <Field label="Position" error={errors.position}>
          <input type="text" value={values.position} onChange={(e) => set('position', e.target.value)} list={positionsId} maxLength={80} autoComplete="off" />
        </Field>
        <datalist id={positionsId}>
          {knownPositions(schedule, crew, location.id).map((p) => (
            <option key={p} value={p} />
          ))}
        </datalist>
        <Field label="Day" error={errors.date}>
          <select value={values.date} onChange={(e) => set('date', e.target.value)}>
            {weekDates(schedule.weekStart).map((d) => (
              <option key={d} value={d}>
                {formatDayLong(d)}
              </option>
            ))}
          </select>
        </Field>
        <div className="field-pair">
          <Field label="Starts" error={errors.start}>
            <input type="time" value={values.start} onChange={(e) => set('start', e.target.value)} required />
          </Field>
          <Field label="Ends" error={errors.end} hint={!errors.end && timing ? timing : undefined}>
            <input type="time" value={values.end} onChange={(e) => set('end', e.target.value)} required />
          </Field>
        </div>
        <Field label="Notes" error={errors.notes} hint="Optional. Crew see these with the shift.">
          <textarea value={values.notes} onChange={(e) => set('notes', e.target.value)} rows={2} maxLength={1000} />
        </Field>

        {stale && <StaleShiftNotice stale={stale} zone={zone} busy={write.isPending} onReapply={reapply} onKeepTheirs={keepTheirs} />}

        {overlaps && (
          <div className="alert alert-error" role="alert">
            <p>
              <strong>This shift overlaps {overlaps.length === 1 ? 'another shift' : `${overlaps.length} other shifts`} for the same person:</strong>
            </p>
            <ul>
              {overlaps.map((o) => (
                <li key={o}>{o}</li>
              ))}
            </ul>
            <p>Change the times or the person, or make it an open shift.</p>
          </div>
        )}

        <div className="dialog-actions">
          {editing && !confirmingDelete && (
            <button type="button" className="button button-danger-ghost" onClick={() => setConfirmingDelete(true)}>
              Delete shift
            </button>
          )}
          {editing && confirmingDelete && (
            <div className="confirm-inline" role="group" aria-label="Confirm delete">
              <span>Delete this shift?</span>
              <BusyButton className="button button-danger button-small" onClick={remove} busy={write.isPending} autoFocus>
                Yes, delete
              </BusyButton>
              <button type="button" className="button button-ghost button-small" onClick={() => setConfirmingDelete(false)}>
                Keep it
              </button>
            </div>
          )}
          <span className="spacer" />
          <button type="button" className="button button-ghost" onClick={onClose}>
            Cancel
          </button>
          {/* While "Delete this shift?" waits for an answer, saving would answer it the other way. */}
          <BusyButton type="submit" busy={write.isPending} busyLabel="Saving…" disabled={confirmingDelete || stale !== null}>
            {editing ? 'Save changes' : 'Add shift'}
          </BusyButton>
        </div>
      </form>
    </Dialog>
  );
}

const WARNING_WORDS: Record<WarningCode, string> = {
  time_off: 'time off that day',
  time_off_pending: 'time off asked for that day',
  unavailable: 'outside their availability',
  short_rest: 'less than 10 hours of rest',
  over_hours: 'over their weekly hours',
  other_location: 'works at another location that day',
};

/** What a saved shift's answer warns about, in words (the grid's chip shows the details). */
function warningsIn(saved: unknown): string {
  const codes = (saved as { warnings?: WarningCode[] } | undefined)?.warnings ?? [];
  return codes.map((code) => WARNING_WORDS[code]).join('; ');
}

