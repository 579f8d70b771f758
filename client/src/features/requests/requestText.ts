import type { ShiftRequest } from '../../api/types.js';
import { formatDayLong, formatRange, localDate } from '../../lib/time.js';
import { describeError, isApiError } from '../../api/errors.js';

/** "Tuesday 8 December, 17:00 – 23:00, Bartender" on the location's clock. */
export function shiftLine(r: ShiftRequest, zone: string): string {
  return `${formatDayLong(localDate(r.shift.startsAt, zone))}, ${formatRange(r.shift.startsAt, r.shift.endsAt, zone)}, ${r.shift.position}`;
}

/** Where a request stands, in words for the person looking at it. */
export function statusLine(r: ShiftRequest, me: number): string {
  const colleague = r.toUser?.id === me ? 'you' : (r.toUser?.name ?? 'the colleague');
  switch (r.status) {
    case 'pending':
      return r.kind === 'drop' ? 'Drop asked: waiting for a manager' : `Swap offered to ${colleague}: waiting for ${colleague === 'you' ? 'your answer' : colleague}`;
    case 'accepted':
      return `Swap accepted by ${colleague}: waiting for a manager`;
    case 'approved':
      return r.kind === 'drop' ? 'Drop approved' : `Swap approved: the shift went to ${colleague}`;
    case 'denied':
      return `${r.kind === 'drop' ? 'Drop' : 'Swap'} denied by ${r.decidedBy?.name ?? 'a manager'}`;
    case 'declined':
      return `Swap declined by ${colleague}`;
    case 'cancelled':
      return 'Request withdrawn';
    case 'expired':
      return 'Expired: the shift started before anyone answered';
  }
}

/** What went wrong with an answer, said plainly. */
export function answerError(err: unknown): string {
  if (isApiError(err, 'request_decided')) return `${(err as Error).message} The list now shows it as it is.`;
  if (isApiError(err, 'request_expired')) return 'The shift has started, so this request can no longer be answered.';
  if (isApiError(err, 'shift_overlap')) return 'The colleague has another shift at that time now, so the swap cannot go ahead. Deny it, or change their other shift first.';
  return describeError(err);
}
