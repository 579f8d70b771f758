import { describeError } from '../../api/errors.js';
import { useDecideTimeOff } from '../../api/planning.js';
import type { TimeOff } from '../../api/types.js';
import { formatDayLong } from '../../lib/time.js';
import { useNotify } from '../../ui/notices.js';
import { FormError } from '../../ui/status.js';

const span = (t: TimeOff) => (t.startsOn === t.endsOn ? formatDayLong(t.startsOn) : `${formatDayLong(t.startsOn)} to ${formatDayLong(t.endsOn)}`);

/** Requests waiting for a manager, for the people of this week's location. */
export function TimeOffRequests({ requests }: { requests: TimeOff[] }) {
  const decide = useDecideTimeOff();
  const notify = useNotify();
  if (requests.length === 0) return null;
  const answer = (t: TimeOff, status: 'approved' | 'denied') =>
    decide.mutate({ id: t.id, status }, { onSuccess: () => notify(status === 'approved' ? `Time off approved for ${t.userName}` : `Time off denied for ${t.userName}`) });
  return (
    <section className="time-off-requests" aria-labelledby="time-off-requests-title">
      <h2 id="time-off-requests-title">Time off requests</h2>
      <ul>
        {requests.map((t) => (
          <li key={t.id}>
            <span>
              <strong>{t.userName}</strong> asks for {span(t)}
              {t.note && <span className="muted"> · {t.note}</span>}
            </span>
            <span className="button-row">
              <button type="button" className="button button-small" disabled={decide.isPending} onClick={() => answer(t, 'approved')}>
                Approve<span className="sr-only">{` ${t.userName}'s time off`}</span>
              </button>
              <button type="button" className="button button-small button-secondary" disabled={decide.isPending} onClick={() => answer(t, 'denied')}>
                Deny<span className="sr-only">{` ${t.userName}'s time off`}</span>
              </button>
            </span>
          </li>
        ))}
      </ul>
      {decide.isError && <FormError>{describeError(decide.error)}</FormError>}
    </section>
  );
}
