import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Logger } from '../logger.js';

declare module 'node:http' {
  interface IncomingMessage {
    /** The request id: the caller's `X-Request-Id` if it is a sane token, otherwise a new UUID. */
    id: string;
    /** A logger bound to this request's id, method and url. */
    log: Logger;
  }
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * One access-log line per request: `{ req: { id, method, url }, res: { statusCode }, responseTime }`.
 * What pino-http does, for a fraction of its cost on every request (bench/README.md, finding 2):
 * - `req.log` is made on first use; most requests never log anything of their own;
 * - the line itself carries only id, method, url, status and time, nothing that could hold a
 *   secret, so it skips the logger's redaction pass (whose wildcard paths are walked per line).
 * Only a bug is an error: a 503 is the expected answer while a dependency is down, and its cause
 * is logged once by whatever noticed the outage, not once per request. Health probes, which
 * arrive every few seconds, are not logged.
 */
export function accessLog(logger: Logger): RequestHandler {
  const lines = logger.child({}, { redact: [] });
  return (req, res, next) => {
    const incoming = req.headers['x-request-id'];
    const id = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    const method = req.method;
    const url = req.originalUrl;
    req.id = id;
    res.setHeader('X-Request-Id', id);
    let child: Logger | undefined;
    Object.defineProperty(req, 'log', {
      configurable: true,
      get: () => (child ??= logger.child({ req: { id, method, url } })),
    });
    if (url.startsWith('/api/health')) return next();

    const started = performance.now();
    const done = () => {
      res.off('finish', done);
      res.off('close', done);
      const responseTime = Math.round(performance.now() - started);
      if (!res.writableFinished) {
        lines.info({ req: { id, method, url }, res: { statusCode: null }, responseTime }, 'request aborted');
        return;
      }
      const statusCode = res.statusCode;
      const line = { req: { id, method, url }, res: { statusCode }, responseTime };
      if (statusCode >= 500 && statusCode !== 503) lines.error(line, 'request errored');
      else lines.info(line, 'request completed');
    };
    res.on('finish', done);
    res.on('close', done);
    next();
  };
}
