import type { ApiError } from '../../api/errors.js';
import type { PatchShiftInput, Shift } from '../../api/types.js';
import { formatDayShort, formatRange, localDate } from '../../lib/time.js';
import { BusyButton } from '../../ui/BusyButton.js';

/** A save or delete of a shift that someone else changed first (412 `version_mismatch`). */
export interface Stale {
  /** The shift as it is now; null when it was deleted meanwhile. */
  current: Shift | null;
  by: string;
  /** What this person was doing: their edits (only the fields they changed), or a delete. */
  mine: { kind: 'update'; changes: PatchShiftInput } | { kind: 'delete' };
}

export function staleFrom(err: ApiError, mine: Stale['mine']): Stale {
  return { current: (err.current as Shift | null) ?? null, by: err.changedBy?.name ?? 'Someone else', mine };
}

/** "Fri 4 Dec, 18:00–23:00, Bartender, Sam": the shift as the other person left it. */
export function describeShift(shift: Shift, zone: string): string {
  return `${formatDayShort(localDate(shift.startsAt, zone))}, ${formatRange(shift.startsAt, shift.endsAt, zone)}, ${shift.position}, ${shift.userName ?? 'open shift'}`;
}

/** The fields of `next` that differ from `before`: what this person changed, to apply on top of someone else's version. */
export function changedFields<T extends Record<string, unknown>>(before: T, next: T): Partial<T> {
  const out: Partial<T> = {};
  for (const key of Object.keys(next) as (keyof T)[]) if (before[key] !== next[key]) out[key] = next[key];
  return out;
}

interface Props {
  stale: Stale;
  zone: string;
  busy: boolean;
  onReapply: () => void;
  onKeepTheirs: () => void;
}

/** Says what changed and by whom, and lets the person choose whose version stays. */
export function StaleShiftNotice({ stale, zone, busy, onReapply, onKeepTheirs }: Props) {
  const { current, by, mine } = stale;
  const reapply = current === null ? (mine.kind === 'update' ? 'Add mine as a new shift' : null) : mine.kind === 'update' ? 'Apply my changes to theirs' : 'Delete it anyway';
  return (
    <section className="alert alert-warning stale-shift" role="alert" aria-labelledby="stale-shift-title">
      <h3 id="stale-shift-title">This shift changed while you were editing</h3>
      <p>{current ? `${by} changed this shift: ${describeShift(current, zone)}.` : `${by} deleted this shift.`}</p>
      <p>{mine.kind === 'update' ? 'Your changes are not saved yet.' : 'It was not deleted.'}</p>
      <div className="button-row">
        {reapply && (
          <BusyButton className="button" onClick={onReapply} busy={busy}>
            {reapply}
          </BusyButton>
        )}
        <button type="button" className="button button-secondary" onClick={onKeepTheirs}>
          {current ? 'Keep theirs' : 'Keep it deleted'}
        </button>
      </div>
    </section>
  );
}
