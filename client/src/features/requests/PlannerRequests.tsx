import { useState } from 'react';
import { awaitsManager, isOpen, useAnswerShiftRequest, useOpenShiftRequests } from '../../api/requests.js';
import type { Schedule, ShiftRequest } from '../../api/types.js';
import { BusyButton } from '../../ui/BusyButton.js';
import { useNotify } from '../../ui/notices.js';
import { RequestNote } from './RequestNote.js';
import { answerError, shiftLine, statusLine } from './requestText.js';

/** The week's undecided shift requests, answered in place by the location's managers. */
export function PlannerRequests({ schedule, zone, me }: { schedule: Schedule; zone: string; me: number }) {
  const requests = useOpenShiftRequests({ locationId: schedule.locationId });
  const open = (requests.data ?? []).filter((r) => r.scheduleId === schedule.id && isOpen(r));
  if (open.length === 0) return null;
  const waiting = open.filter(awaitsManager);
  return (
    <section className="requests-panel" aria-labelledby="week-requests">
      <h2 id="week-requests">
        Shift requests{waiting.length > 0 && <span className="badge badge-open">{waiting.length} to decide</span>}
      </h2>
      <ul className="request-list">
        {open.map((r) => (
          <li key={r.id}>
            <PlannerRequest request={r} zone={zone} me={me} />
          </li>
        ))}
      </ul>
    </section>
  );
}

function PlannerRequest({ request: r, zone, me }: { request: ShiftRequest; zone: string; me: number }) {
  const answer = useAnswerShiftRequest();
  const notify = useNotify();
  const [problem, setProblem] = useState<string | null>(null);
  const line = shiftLine(r, zone);
  const what = r.kind === 'drop' ? `${r.requester.name} asks to drop` : `${r.requester.name} offers ${r.toUser?.name} a swap of`;
  const act = (action: 'approve' | 'deny') => {
    setProblem(null);
    answer.mutate(
      { id: r.id, action },
      {
        onSuccess: () => notify(action === 'approve' ? (r.kind === 'drop' ? 'Drop approved: the shift is open' : `Swap approved: the shift is ${r.toUser?.name}’s`) : 'Request denied'),
        onError: (err) => setProblem(answerError(err)),
      },
    );
  };
  return (
    <article className="request-card">
      <p>
        <strong>{what}</strong> {line}
      </p>
      <p className="muted">{statusLine(r, me)}</p>
      <RequestNote note={r.note} problem={problem} />
      <div className="button-row">
        {awaitsManager(r) && (
          <BusyButton className="button button-small" busy={answer.isPending} onClick={() => act('approve')} aria-label={`Approve: ${what} ${line}`}>
            Approve
          </BusyButton>
        )}
        <BusyButton className="button button-secondary button-small" busy={answer.isPending} onClick={() => act('deny')} aria-label={`Deny: ${what} ${line}`}>
          Deny
        </BusyButton>
      </div>
    </article>
  );
}
