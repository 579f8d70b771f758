import { useQuery } from '@tanstack/react-query';
import { describeError } from '../../api/errors.js';
import { http } from '../../api/http.js';
import { keys } from '../../api/keys.js';
import { useSetScheduleStatus } from '../../api/schedules.js';
import type { PublishedShift, Schedule, ScheduleChanges } from '../../api/types.js';
import { formatDayShort, formatRange, localDate } from '../../lib/time.js';
import { BusyButton } from '../../ui/BusyButton.js';
import { Dialog } from '../../ui/Dialog.js';
import { useNotify } from '../../ui/notices.js';
import { FormError, LoadError, Spinner } from '../../ui/status.js';

const FIELD_NAMES = { userId: 'person', position: 'position', startsAt: 'start', endsAt: 'end', notes: 'notes' } as const;

/** The publish confirmation: what changed since the week was last published, and who will be told. */
export function PublishDialog({ schedule, zone, onClose }: { schedule: Schedule; zone: string; onClose: () => void }) {
  const changes = useQuery({
    queryKey: [...keys.scheduleChanges(schedule.id), schedule.version],
    queryFn: ({ signal }) => http.get<ScheduleChanges>(`/schedules/${schedule.id}/changes`, { signal }),
  });
  const setStatus = useSetScheduleStatus();
  const notify = useNotify();
  const line = (s: PublishedShift) => `${formatDayShort(localDate(s.startsAt, zone))} ${formatRange(s.startsAt, s.endsAt, zone)}, ${s.position}, ${s.userName ?? 'open'}`;

  const publish = () =>
    setStatus.mutate(
      { id: schedule.id, status: 'published', version: schedule.version },
      {
        onSuccess: () => {
          notify('Week published: crew have been told');
          onClose();
        },
      },
    );

  let body;
  if (changes.isPending) body = <Spinner label="Comparing with the last publish" />;
  else if (changes.isError) body = <LoadError error={changes.error} what="the changes" onRetry={() => void changes.refetch()} />;
  else {
    const c = changes.data;
    const first = c.lastPublishedAt === null;
    const people = new Set([...c.added, ...c.removed, ...c.changed.flatMap((x) => [x.before, x.after])].flatMap((s) => (s.userId === null ? [] : [s.userId])));
    const total = c.added.length + c.removed.length + c.changed.length;
    body = (
      <>
        <p>
          {first
            ? `First publish of this week: ${c.added.length} shift${c.added.length === 1 ? '' : 's'}. Everyone with a shift is told.`
            : total === 0
              ? 'Nothing changed since the week was last published; no one is told.'
              : `${total} change${total === 1 ? '' : 's'} since the last publish. ${people.size} ${people.size === 1 ? 'person is' : 'people are'} told.`}
        </p>
        {!first && total > 0 && (
          <div className="diff">
            {c.added.length > 0 && <DiffList title="Added" items={c.added.map(line)} />}
            {c.removed.length > 0 && <DiffList title="Removed" items={c.removed.map(line)} />}
            {c.changed.length > 0 && (
              <DiffList title="Changed" items={c.changed.map((x) => `${line(x.after)} (${x.fields.map((f) => FIELD_NAMES[f]).join(', ')}; was ${line(x.before)})`)} />
            )}
          </div>
        )}
        {first && c.added.length > 0 && <DiffList title="Shifts" items={c.added.map(line)} />}
      </>
    );
  }

  return (
    <Dialog title="Publish this week?" onClose={onClose}>
      {body}
      <FormError>{setStatus.isError ? describeError(setStatus.error) : null}</FormError>
      <div className="dialog-actions">
        <span className="spacer" />
        <button type="button" className="button button-ghost" onClick={onClose}>
          Not yet
        </button>
        <BusyButton className="button" busy={setStatus.isPending} onClick={publish} data-autofocus>
          Publish week
        </BusyButton>
      </div>
    </Dialog>
  );
}

function DiffList({ title, items }: { title: string; items: string[] }) {
  return (
    <section className="diff-group">
      <h3>{title}</h3>
      <ul>
        {items.map((item, i) => (
          <li key={i}>{item}</li>
        ))}
      </ul>
    </section>
  );
}
