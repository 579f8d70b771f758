import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../server/logger.js';

/**
 * Every test app logs through this sink. Entries at error level or above fail the running test
 * unless the test declared them with `expectErrorLog`, so a bug that only shows as a log line
 * (a 500 swallowed by a retry, a failed background job) cannot pass unnoticed.
 */
export interface LogEntry {
  level: number;
  msg?: string;
  [key: string]: unknown;
}

const ERROR_LEVEL = 50;
/** What no log line may hold, at any level and expected or not: a password hash, a session or device cookie, a calendar feed's token. */
const SECRET = /\$argon2|crewplots\.sid=s(?:%3A|:)|crewplots\.dev=\d|\/calendar\/\d+\.[A-Za-z0-9_-]{43}/;
const entries: LogEntry[] = [];
const expected: RegExp[] = [];

const sink = new Writable({
  write(chunk: Buffer, _enc, done) {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line) entries.push(JSON.parse(line) as LogEntry);
    }
    done();
  },
});

export function testLogger(level: 'debug' | 'info' | 'warn' = 'info'): Logger {
  return createLogger({ logLevel: level, env: 'test' }, sink);
}

export function logEntries(): readonly LogEntry[] {
  return entries;
}

/** Declares that the current test is meant to log an error whose message matches. */
export function expectErrorLog(pattern: RegExp): void {
  expected.push(pattern);
}

/** Called after each test: returns the unexpected error entries and any entry holding a secret, and starts afresh. */
export function takeUnexpectedErrors(): LogEntry[] {
  const unexpected = entries.filter(
    (e) =>
      SECRET.test(JSON.stringify(e)) ||
      (e.level >= ERROR_LEVEL && !expected.some((p) => p.test(String(e.msg ?? '')) || p.test(JSON.stringify(e.err ?? '')))),
  );
  entries.length = 0;
  expected.length = 0;
  return unexpected;
}
