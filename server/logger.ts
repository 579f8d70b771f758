import { pino, type DestinationStream, type Logger } from 'pino';
import type { Config } from './config.js';

export type { Logger };

/**
 * Anything that could let a reader of the logs act as a user: cookies, bearer tokens and every
 * field named like a password, wherever it is nested.
 */
const SECRET_FIELDS = [
  'password',
  'passwordHash',
  'currentPassword',
  'newPassword',
  'ADMIN_PASSWORD',
  'adminPassword',
  'SESSION_SECRET',
  'secrets',
  'METRICS_TOKEN',
  'metricsToken',
  'cookie',
  'authorization',
  'set-cookie',
];
/** A field's path below `parent` in pino's syntax (brackets for names that are no identifier). */
const fieldPath = (parent: string, field: string) =>
  /^\w+$/.test(field) ? (parent ? `${parent}.${field}` : field) : `${parent}["${field}"]`;
/** Each field at the top and up to three objects deep (pino's wildcards match one level each). */
export const REDACT_PATHS = SECRET_FIELDS.flatMap((field) => ['', '*', '*.*', '*.*.*'].map((parent) => fieldPath(parent, field)));

/** A failed query's parameters as Drizzle writes them into its error's message (and so its stack). */
const QUERY_PARAMS = /\nparams: [\s\S]*?(?=\n {4}at |\ncaused by: |$)/g;

/**
 * Errors as pino writes them, less the parameters of a failed query: Drizzle puts them in the
 * error's `params` and in its message, where redaction by path cannot reach, and they hold
 * password hashes and personal data.
 */
function withoutQueryParams(serialized: Record<string, unknown>): Record<string, unknown> {
  delete serialized.params;
  for (const field of ['message', 'stack'] as const) {
    const text = serialized[field];
    if (typeof text === 'string') serialized[field] = text.replace(QUERY_PARAMS, '\nparams: [redacted]');
  }
  if (serialized.cause && typeof serialized.cause === 'object') withoutQueryParams(serialized.cause as Record<string, unknown>);
  return serialized;
}
const serializeError = (err: unknown) => {
  const serialized = pino.stdSerializers.err(err as Error);
  return serialized && typeof serialized === 'object' ? withoutQueryParams(serialized as unknown as Record<string, unknown>) : serialized;
};

/** Lines are written once this many bytes are waiting, or every LOG_FLUSH_MS, whichever comes first. */
const LOG_BATCH_BYTES = 4096;
const LOG_FLUSH_MS = 100;

/**
 * stdout, written in batches: under load a write per line (one system call per request for the
 * access log alone) becomes one per ~20 lines, made synchronously on the main thread; a quiet
 * server's lines go out within LOG_FLUSH_MS. What is waiting is written when the process exits
 * (normally, by process.exit, or after an uncaught exception); a process killed outright loses
 * at most LOG_FLUSH_MS of lines (docs/decisions/032).
 */
function batchedStdout(): DestinationStream {
  const stream = pino.destination({ dest: 1, sync: true, minLength: LOG_BATCH_BYTES, periodicFlush: LOG_FLUSH_MS });
  process.once('exit', () => {
    try {
      stream.flushSync();
    } catch {
      // stdout already gone: nothing to save
    }
  });
  return stream;
}

/**
 * JSON lines in production and tests; readable lines in development. A destination can be given
 * (tests capture error logs through one).
 */
export function createLogger(config: Pick<Config, 'logLevel' | 'env'>, destination?: DestinationStream): Logger {
  const options = {
    level: config.logLevel,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: { err: serializeError },
    base: { service: 'crewplots' },
  };
  if (destination) return pino(options, destination);
  if (config.env === 'development' && process.stdout.isTTY) {
    return pino({ ...options, transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,service' } } });
  }
  return pino(options, batchedStdout());
}
