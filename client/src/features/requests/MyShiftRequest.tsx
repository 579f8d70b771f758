import { useState } from 'react';
import { useAnswerShiftRequest } from '../../api/requests.js';
import type { Location, ShiftRequest, UserShift } from '../../api/types.js';
import { formatDayLong, localDate } from '../../lib/time.js';
import { BusyButton } from '../../ui/BusyButton.js';
import { useNotify } from '../../ui/notices.js';
import { RequestDialog } from './RequestDialog.js';
import { answerError, statusLine } from './requestText.js';

/** On one of the person's own upcoming shifts: where its request stands (with Cancel), or the way to make one. */
export function MyShiftRequest({ shift, location, me, open }: { shift: UserShift; location: Location | undefined; me: number; open: ShiftRequest | undefined }) {
  const [asking, setAsking] = useState(false);
  const cancel = useAnswerShiftRequest();
  const notify = useNotify();
  const [problem, setProblem] = useState<string | null>(null);
  const day = formatDayLong(localDate(shift.startsAt, location?.timezone ?? 'UTC'));
  if (Date.parse(shift.startsAt) <= Date.now()) return null;

  if (open) {
    return (
      <div className="request-status">
        <p className="tag tag-request">{statusLine(open, me)}</p>
        <BusyButton
          className="button button-ghost button-small"
          busy={cancel.isPending}
          aria-label={`Withdraw the request for ${shift.position} on ${day}`}
          onClick={() =>
            cancel.mutate({ id: open.id, action: 'cancel' }, { onSuccess: () => notify('Request withdrawn'), onError: (err) => setProblem(answerError(err)) })
          }
        >
          Withdraw
        </BusyButton>
        {problem && (
          <p className="field-error" role="alert">
            {problem}
          </p>
        )}
      </div>
    );
  }
  return (
    <>
      <button type="button" className="button button-secondary button-small" onClick={() => setAsking(true)} aria-label={`Swap or drop ${shift.position} on ${day}`}>
        Swap or drop
      </button>
      {asking && <RequestDialog shift={shift} location={location} me={me} onClose={() => setAsking(false)} />}
    </>
  );
}
