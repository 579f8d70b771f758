import { pino, type DestinationStream, type Logger } from 'pino';
import type { Config } from './config.js';

export type { Logger };

/**
 * Anything that could let a reader of the logs act as a user: cookies, bearer tokens and every
 * field named like a password, wherever it is nested.
 */
export const REDACT_PATHS = [
  'req.headers.cookie',
  'req.headers.authorization',
  'res.headers["set-cookie"]',
  'password',
  'passwordHash',
  'currentPassword',
  'newPassword',
  '*.password',
  '*.passwordHash',
  '*.currentPassword',
  '*.newPassword',
  '*.*.password',
  '*.*.passwordHash',
  'SESSION_SECRET',
  'METRICS_TOKEN',
];

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
  return pino(options);
}
