import { useState } from 'react';
import { describeError } from '../../api/errors.js';
import { useDeleteSchedule, useSetScheduleStatus } from '../../api/schedules.js';
import type { Schedule } from '../../api/types.js';
import { formatHours, formatInstant, hoursBetween } from '../../lib/time.js';
import { Dialog } from '../../ui/Dialog.js';
import { useNotify } from '../../ui/notices.js';
import { Badge, FormError } from '../../ui/status.js';
import { BusyButton } from '../../ui/BusyButton.js';
import { PublishDialog } from './PublishDialog.js';

/** The week's state and what can be done with it as a whole. */
interface Props {
  schedule: Schedule;
  zone: string;
  onAddShift: () => void;
  onDeleted: () => void;
}

export function ScheduleBar({ schedule, zone, onAddShift, onDeleted }: Props) {
  const setStatus = useSetScheduleStatus();
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [confirmPublish, setConfirmPublish] = useState(false);
  const notify = useNotify();
  const published = schedule.status === 'published';
  const open = schedule.shifts.filter((s) => s.userId === null).length;
  const hours = schedule.shifts.reduce((sum, s) => sum + hoursBetween(s.startsAt, s.endsAt), 0);

  // Publishing asks first, showing what changed since the last publish; unpublishing goes straight ahead.
  const toggle = () =>
    published
      ? setStatus.mutate({ id: schedule.id, status: 'draft', version: schedule.version }, { onSuccess: () => notify('Week unpublished: crew no longer see it') })
      : setConfirmPublish(true);

  return (
    <section className="schedule-bar" aria-label="This week">
      <div className="schedule-facts">
        {published ? <Badge tone="published">Published</Badge> : <Badge tone="draft">Draft</Badge>}
        <span>
          {schedule.shifts.length} shift{schedule.shifts.length === 1 ? '' : 's'} · {formatHours(hours)}
          {open > 0 && ` · ${open} open`}
        </span>
        {published && schedule.publishedAt && <span className="muted">since {formatInstant(schedule.publishedAt, zone)}</span>}
      </div>
      <div className="button-row">
        <button type="button" className="button button-secondary" onClick={onAddShift}>
          Add shift
        </button>
        {!published && (
          <button type="button" className="button button-danger-ghost" onClick={() => setConfirmDelete(true)}>
            Delete week
          </button>
        )}
        <BusyButton className={published ? 'button button-secondary' : 'button'} onClick={toggle} busy={setStatus.isPending}>
          {published ? 'Unpublish' : 'Publish'}
        </BusyButton>
      </div>
      {setStatus.isError && <FormError>{describeError(setStatus.error)}</FormError>}
      {confirmPublish && <PublishDialog schedule={schedule} zone={zone} onClose={() => setConfirmPublish(false)} />}
      {confirmDelete && <DeleteWeek schedule={schedule} onClose={() => setConfirmDelete(false)} onDeleted={onDeleted} />}
    </section>
  );
}

function DeleteWeek({ schedule, onClose, onDeleted }: { schedule: Schedule; onClose: () => void; onDeleted: () => void }) {
  const remove = useDeleteSchedule();
  const notify = useNotify();
  return (
    <Dialog title="Delete this week?" size="small" onClose={onClose}>
      <p>
        The draft and its {schedule.shifts.length} shift{schedule.shifts.length === 1 ? '' : 's'} are removed. This cannot be undone.
      </p>
      <FormError>{remove.isError ? describeError(remove.error) : null}</FormError>
      <div className="dialog-actions">
        <span className="spacer" />
        <button type="button" className="button button-ghost" onClick={onClose} data-autofocus>
          Keep it
        </button>
        <BusyButton
          className="button button-danger"
          busy={remove.isPending}
          onClick={() =>
            remove.mutate({ id: schedule.id, version: schedule.version }, {
              onSuccess: () => {
                notify('Week deleted');
                onDeleted();
              },
            })
          }
        >
          Delete week
        </BusyButton>
      </div>
    </Dialog>
  );
}
