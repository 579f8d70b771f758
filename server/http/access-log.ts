import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Request, RequestHandler } from 'express';
import type { Logger } from '../logger.js';

declare module 'node:http' {
  interface IncomingMessage {
    /** The request id: the caller's `X-Request-Id` if it is a sane token, otherwise a new UUID. */
    id?: string;
  }
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** Paths whose next segment is a secret (a calendar feed's token): logged as `[secret]`. */
const SECRET_SEGMENT = /^(\/api\/calendar\/)[^/?#]*/i;

/** The URL as a log line may show it: with any secret in its path masked. */
export function loggableUrl(url: string): string {
  return url.replace(SECRET_SEGMENT, '$1[secret]');
}

/**
 * One access-log line per request: `{ req: { id, method, url }, res: { statusCode }, responseTime }`.
 * What pino-http does, for a fraction of its cost on every request (bench/README.md, finding 2):
 * - no child logger per request; whatever logs about a request makes one (`requestLog`);
 * - the line carries only id, method, url, status and time, nothing that could hold a secret,
 *   so it skips the logger's redaction pass (whose wildcard paths are walked per line).
 * Only a bug is an error: a 503 is the expected answer while a dependency is down, and its cause
 * is logged once by whatever noticed the outage, not once per request. Health probes, which
 * arrive every few seconds, are not logged.
 */
export function accessLog(logger: Logger): RequestHandler {
  const lines = logger.child({}, { redact: [] });
  return (req, res, next) => {
    const incoming = req.headers['x-request-id'];
    const id = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    req.id = id;
    res.setHeader('X-Request-Id', id);
    if (req.originalUrl.startsWith('/api/health')) return next();

    const started = performance.now();
    // 'close' follows 'finish' on a response that was sent, and comes alone when the client left.
    res.once('close', () => {
      const line = { req: { id, method: req.method, url: loggableUrl(req.originalUrl) }, res: { statusCode: res.statusCode }, responseTime: Math.round(performance.now() - started) };
      if (!res.writableFinished) lines.info({ ...line, res: { statusCode: null } }, 'request aborted');
      else if (res.statusCode >= 500 && res.statusCode !== 503) lines.error(line, 'request errored');
      else lines.info(line, 'request completed');
    });
    next();
  };
}

/** A logger for something about this request (an error), bound to its id, method and url. */
export function requestLog(logger: Logger, req: IncomingMessage | Request): Logger {
  const url = 'originalUrl' in req ? req.originalUrl : req.url;
  return logger.child({ req: { id: req.id, method: req.method, url: url === undefined ? url : loggableUrl(url) } });
}
