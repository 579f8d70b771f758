import { useEffect, useState, type FormEvent } from 'react';
import { describeError, isApiError } from '../../api/errors.js';
import { useAvailability, useRequestTimeOff, useSaveAvailability, useTimeOff, useWithdrawTimeOff } from '../../api/planning.js';
import type { TimeOff, UnavailableWindow, User } from '../../api/types.js';
import { PageHeader } from '../../app/PageHeader.js';
import { formatDayLong } from '../../lib/time.js';
import { BusyButton } from '../../ui/BusyButton.js';
import { Field } from '../../ui/Field.js';
import { useNotify } from '../../ui/notices.js';
import { Badge, FormError, LoadError, Spinner } from '../../ui/status.js';

const WEEKDAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

/** A person's own hours they cannot work each week, and their time off: asked for here, decided by their manager. */
export function AvailabilityPage({ user }: { user: User }) {
  return (
    <>
      <PageHeader title="Availability and time off" subtitle="Tell your managers when you cannot work. Times are the local time of the venue you work at." />
      <Availability user={user} />
      <TimeOffSection user={user} />
    </>
  );
}

interface Row extends UnavailableWindow {
  key: number;
}

let nextKey = 1;
const withKeys = (windows: UnavailableWindow[]): Row[] => windows.map((w) => ({ ...w, key: nextKey++ }));

function Availability({ user }: { user: User }) {
  const stored = useAvailability(user.id);
  const save = useSaveAvailability(user.id);
  const notify = useNotify();
  const [rows, setRows] = useState<Row[] | null>(null);
  useEffect(() => {
    if (stored.data && rows === null) setRows(withKeys(stored.data.unavailable));
  }, [stored.data, rows]);

  if (stored.isError) return <LoadError error={stored.error} what="your availability" onRetry={() => void stored.refetch()} />;
  if (!rows) return <Spinner label="Loading your availability" />;

  const errors = new Map<string, string>();
  if (isApiError(save.error, 'validation_failed')) for (const e of save.error.errors ?? []) errors.set(e.path, e.message);
  const update = (key: number, change: Partial<UnavailableWindow>) => setRows(rows.map((r) => (r.key === key ? { ...r, ...change } : r)));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate({ unavailable: rows.map(({ weekday, from, to }) => ({ weekday, from, to })) }, { onSuccess: (saved) => {
      setRows(withKeys(saved.unavailable));
      notify('Availability saved');
    } });
  };

  return (
    <section className="plan-section" aria-labelledby="availability-title">
      <h2 id="availability-title">Hours I cannot work</h2>
      <form onSubmit={submit} noValidate>
        <ul className="weekday-windows">
          {WEEKDAYS.map((day, i) => {
            const today = rows.filter((r) => r.weekday === i + 1);
            return (
              <li key={day}>
                <fieldset>
                  <legend>{day}</legend>
                  {today.length === 0 && <p className="muted">Available all day</p>}
                  {today.map((row) => {
                    const index = rows.indexOf(row);
                    return (
                      <div className="window-row" key={row.key}>
                        <Field label={`From (${day})`} error={errors.get(`unavailable.${index}.from`)}>
                          <input type="time" value={row.from} onChange={(e) => update(row.key, { from: e.target.value })} required />
                        </Field>
                        <Field label={`Until (${day})`} error={errors.get(`unavailable.${index}.to`)} hint="24:00 is the end of the day">
                          <input
                            type="text"
                            inputMode="numeric"
                            pattern="[0-2][0-9]:[0-5][0-9]"
                            value={row.to}
                            onChange={(e) => update(row.key, { to: e.target.value })}
                            required
                          />
                        </Field>
                        <button type="button" className="button button-ghost button-small" onClick={() => setRows(rows.filter((r) => r.key !== row.key))}>
                          Remove<span className="sr-only">{` ${day} ${row.from} to ${row.to}`}</span>
                        </button>
                      </div>
                    );
                  })}
                  <button
                    type="button"
                    className="button button-secondary button-small"
                    onClick={() => setRows([...rows, { key: nextKey++, weekday: i + 1, from: '00:00', to: '24:00' }])}
                  >
                    Add hours<span className="sr-only">{` on ${day}`}</span>
                  </button>
                </fieldset>
              </li>
            );
          })}
        </ul>
        <FormError>{save.isError && !isApiError(save.error, 'validation_failed') ? describeError(save.error) : null}</FormError>
        <div className="button-row">
          <BusyButton className="button" busy={save.isPending} type="submit">
            Save availability
          </BusyButton>
        </div>
      </form>
    </section>
  );
}

const STATUS = { pending: 'Waiting for a manager', approved: 'Approved', denied: 'Denied' } as const;
const TONE = { pending: 'draft', approved: 'published', denied: 'inactive' } as const;

function TimeOffSection({ user }: { user: User }) {
  const list = useTimeOff({ userId: user.id });
  const ask = useRequestTimeOff();
  const withdraw = useWithdrawTimeOff();
  const notify = useNotify();
  const [startsOn, setStartsOn] = useState('');
  const [endsOn, setEndsOn] = useState('');
  const [note, setNote] = useState('');

  const errors = new Map<string, string>();
  if (isApiError(ask.error, 'validation_failed')) for (const e of ask.error.errors ?? []) errors.set(e.path, e.message);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    ask.mutate(
      { startsOn, endsOn: endsOn || startsOn, note: note || null },
      {
        onSuccess: (made) => {
          setStartsOn('');
          setEndsOn('');
          setNote('');
          notify(made.status === 'approved' ? 'Time off entered' : 'Time off asked for: your manager decides');
        },
      },
    );
  };

  return (
    <section className="plan-section" aria-labelledby="time-off-title">
      <h2 id="time-off-title">Time off</h2>
      <form className="time-off-form" onSubmit={submit} noValidate>
        <Field label="First day" error={errors.get('startsOn')}>
          <input type="date" value={startsOn} onChange={(e) => setStartsOn(e.target.value)} required />
        </Field>
        <Field label="Last day" error={errors.get('endsOn')} hint="Leave empty for one day">
          <input type="date" value={endsOn} min={startsOn || undefined} onChange={(e) => setEndsOn(e.target.value)} />
        </Field>
        <Field label="Note (optional)" error={errors.get('note')}>
          <input type="text" value={note} maxLength={500} onChange={(e) => setNote(e.target.value)} />
        </Field>
        <BusyButton className="button" busy={ask.isPending} type="submit">
          Ask for time off
        </BusyButton>
      </form>
      <FormError>{ask.isError && !isApiError(ask.error, 'validation_failed') ? describeError(ask.error) : null}</FormError>
      {list.isError && <LoadError error={list.error} what="your time off" onRetry={() => void list.refetch()} />}
      {list.data && list.data.length > 0 && (
        <ul className="time-off-list" aria-label="My time off">
          {list.data.map((t: TimeOff) => (
            <li key={t.id}>
              <span>
                {t.startsOn === t.endsOn ? formatDayLong(t.startsOn) : `${formatDayLong(t.startsOn)} to ${formatDayLong(t.endsOn)}`}
                {t.note && <span className="muted"> · {t.note}</span>}
              </span>
              <span className="button-row">
                <Badge tone={TONE[t.status]}>{STATUS[t.status]}</Badge>
                {t.status === 'pending' && (
                  <button type="button" className="button button-ghost button-small" disabled={withdraw.isPending} onClick={() => withdraw.mutate(t.id, { onSuccess: () => notify('Request withdrawn') })}>
                    Withdraw<span className="sr-only">{` the request for ${formatDayLong(t.startsOn)}`}</span>
                  </button>
                )}
              </span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
