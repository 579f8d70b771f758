import { useState } from 'react';
import { useAnswerShiftRequest } from '../../api/requests.js';
import type { Location, ShiftRequest } from '../../api/types.js';
import { BusyButton } from '../../ui/BusyButton.js';
import { useNotify } from '../../ui/notices.js';
import { RequestNote } from './RequestNote.js';
import { answerError, shiftLine } from './requestText.js';

/** Swaps colleagues offered the person, waiting for their yes or no. */
export function AskedOfYou({ requests, locations }: { requests: ShiftRequest[]; locations: Location[] }) {
  if (requests.length === 0) return null;
  return (
    <section className="requests-panel" aria-labelledby="asked-of-you">
      <h2 id="asked-of-you">Asked of you</h2>
      <ul className="request-list">
        {requests.map((r) => (
          <li key={r.id}>
            <AskedItem request={r} location={locations.find((l) => l.id === r.locationId)} />
          </li>
        ))}
      </ul>
    </section>
  );
}

function AskedItem({ request: r, location }: { request: ShiftRequest; location: Location | undefined }) {
  const answer = useAnswerShiftRequest();
  const notify = useNotify();
  const [problem, setProblem] = useState<string | null>(null);
  const line = shiftLine(r, location?.timezone ?? 'UTC');
  const act = (action: 'accept' | 'decline') => {
    setProblem(null);
    answer.mutate(
      { id: r.id, action },
      {
        onSuccess: () => notify(action === 'accept' ? 'Swap accepted: a manager decides next' : 'Swap declined'),
        onError: (err) => setProblem(answerError(err)),
      },
    );
  };
  return (
    <article className="request-card">
      <p>
        <strong>{r.requester.name}</strong> asks you to take their shift: {line}
        {location && <> at {location.name}</>}.
      </p>
      <RequestNote note={r.note} problem={problem} />
      <div className="button-row">
        <BusyButton className="button button-small" busy={answer.isPending} onClick={() => act('accept')} aria-label={`Accept the swap from ${r.requester.name}: ${line}`}>
          Accept
        </BusyButton>
        <BusyButton className="button button-secondary button-small" busy={answer.isPending} onClick={() => act('decline')} aria-label={`Decline the swap from ${r.requester.name}: ${line}`}>
          Decline
        </BusyButton>
      </div>
    </article>
  );
}
