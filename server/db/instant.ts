import { customType } from 'drizzle-orm/pg-core';

/**
 * Postgres prints a timestamptz in the session's time zone, and the session's zone is not ours to
 * rely on: through a transaction-mode pooler each transaction may land on a server connection
 * set up by someone else, and a server's default zone is whatever its operator chose. So the text
 * is read with whatever offset it carries, including the seconds that old dates have in some zones
 * (`1900-01-01 05:53:28+05:53:28` in Asia/Kolkata), which `new Date()` cannot parse.
 *
 * The format is DateStyle ISO, the Postgres default; any other style is refused loudly rather than
 * misread.
 */
const ISO_TIMESTAMPTZ = /^(\d{4,})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?([+-])(\d\d)(?::(\d\d))?(?::(\d\d))?( BC)?$/;

export function parseInstant(text: string): Date {
  const m = ISO_TIMESTAMPTZ.exec(text);
  if (!m) throw new Error(`cannot read ${JSON.stringify(text)} as a timestamptz: is the session's DateStyle ISO?`);
  const [, y, mo, d, h, mi, s, fraction, sign, oh, om, os, bc] = m;
  const date = new Date(0);
  // setUTCFullYear, not Date.UTC: Date.UTC reads years 0–99 as 1900–1999.
  date.setUTCFullYear(bc ? 1 - Number(y) : Number(y), Number(mo) - 1, Number(d));
  date.setUTCHours(Number(h), Number(mi), Number(s), Number((fraction ?? '').padEnd(3, '0').slice(0, 3)));
  const offsetSeconds = Number(oh) * 3600 + Number(om ?? 0) * 60 + Number(os ?? 0);
  return new Date(date.getTime() - (sign === '+' ? 1 : -1) * offsetSeconds * 1000);
}

/** timestamptz(3) read as above; written as ISO 8601 in UTC, which means the same in any zone. */
export const instant = customType<{ data: Date; driverData: string | Date }>({
  dataType: () => 'timestamp (3) with time zone',
  toDriver: (value) => value.toISOString(),
  // A driver that parses instants itself (none of ours does today) hands over a Date.
  fromDriver: (value) => (typeof value === 'string' ? parseInstant(value) : value),
});
