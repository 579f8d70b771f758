import { DateTime } from 'luxon';

/**
 * A person's shifts as an iCalendar object (RFC 5545), the body of their calendar feed.
 *
 * - Each shift is one VEVENT whose UID is the shift's id, and whose SEQUENCE follows the shift's
 *   version: a calendar app that polls the feed updates the event it already has when the shift
 *   changes, and drops it when the shift leaves the feed (moved to someone else, deleted, its week
 *   unpublished), instead of adding a second one.
 * - Times are UTC (`…Z`), as API.md says: an instant means the same in every calendar app, across
 *   daylight-saving changes, whatever zone the phone is in. The location's own wall-clock time is
 *   written in the description, for a reader whose phone is elsewhere.
 * - No METHOD: the feed is a calendar to subscribe to, not a message, so each DTSTAMP says when
 *   its shift last changed (§3.8.7.2), and the same shifts always render the same bytes.
 * - Lines end in CRLF and are folded at 75 octets, never inside a UTF-8 character.
 */

export interface FeedShift {
  id: number;
  version: number;
  position: string;
  startsAt: Date;
  endsAt: Date;
  updatedAt: Date;
  notes: string | null;
  location: { name: string; address: string | null; timezone: string };
}

const PRODID = '-//Crew Plots Pro//Shifts//EN';
/** Stable per shift and per deployment's data: the shift's id is never reused. */
export const eventUid = (shiftId: number) => `shift-${shiftId}@crewplots`;

export function renderCalendar(shifts: readonly FeedShift[]): string {
  const lines = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    `PRODID:${PRODID}`,
    'CALSCALE:GREGORIAN',
    'X-WR-CALNAME:My shifts',
    'NAME:My shifts',
    // RFC 7986 and its older spelling: how often a subscribed app should come back.
    'REFRESH-INTERVAL;VALUE=DURATION:PT1H',
    'X-PUBLISHED-TTL:PT1H',
  ];
  for (const shift of shifts) lines.push(...event(shift));
  lines.push('END:VCALENDAR');
  return lines.map(fold).join('\r\n') + '\r\n';
}

function event(shift: FeedShift): string[] {
  const { location } = shift;
  const where = location.address ? `${location.name}, ${location.address}` : location.name;
  const description = [
    `${shift.position} at ${location.name}`,
    `${localRange(shift.startsAt, shift.endsAt, location.timezone)} (${location.timezone.replace(/_/g, ' ')} time)`,
    ...(shift.notes ? [`Notes: ${shift.notes}`] : []),
  ].join('\n');
  return [
    'BEGIN:VEVENT',
    `UID:${eventUid(shift.id)}`,
    `DTSTAMP:${utc(shift.updatedAt)}`,
    `LAST-MODIFIED:${utc(shift.updatedAt)}`,
    `SEQUENCE:${shift.version - 1}`,
    `DTSTART:${utc(shift.startsAt)}`,
    `DTEND:${utc(shift.endsAt)}`,
    `SUMMARY:${text(`${shift.position} · ${location.name}`)}`,
    `LOCATION:${text(where)}`,
    `DESCRIPTION:${text(description)}`,
    'STATUS:CONFIRMED',
    'TRANSP:OPAQUE',
    'END:VEVENT',
  ];
}

/** `20261130T090000Z`: a DATE-TIME in UTC (RFC 5545 §3.3.5, form #2). */
function utc(at: Date): string {
  return at.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
}

/** "Mon 30 Nov 22:00 – Tue 1 Dec 06:00", on the location's clock. */
function localRange(startsAt: Date, endsAt: Date, zone: string): string {
  const start = DateTime.fromJSDate(startsAt, { zone });
  const end = DateTime.fromJSDate(endsAt, { zone });
  const day = 'ccc d LLL';
  const sameDay = start.toISODate() === end.toISODate();
  return `${start.toFormat(`${day} HH:mm`)} – ${end.toFormat(sameDay ? 'HH:mm' : `${day} HH:mm`)}`;
}

/** A TEXT value (RFC 5545 §3.3.11): backslash, semicolon, comma and newline escaped; other controls dropped. */
export function text(value: string): string {
  return value
    .replace(/\r\n?/g, '\n')
    .replace(/[\\;,]/g, (c) => `\\${c}`)
    .replace(/\n/g, '\\n')
    .replace(/[\u0000-\u0008\u000a-\u001f\u007f]/g, '');
}

const encoder = new TextEncoder();

/** Folds a content line into lines of at most 75 octets, each continuation starting with a space (§3.1). */
export function fold(line: string): string {
  if (encoder.encode(line).length <= 75) return line;
  const parts: string[] = [];
  let current = '';
  let octets = 0;
  for (const char of line) {
    const size = encoder.encode(char).length;
    // The first line holds 75 octets; a continuation 74 after its leading space.
    if (octets + size > (parts.length === 0 ? 75 : 74)) {
      parts.push(current);
      current = '';
      octets = 0;
    }
    current += char;
    octets += size;
  }
  parts.push(current);
  return parts.join('\r\n ');
}
