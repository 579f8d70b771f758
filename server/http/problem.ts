import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import type { Logger } from '../logger.js';
import { requestLog } from './access-log.js';
import { sizeOf } from './body.js';
import type { Problem } from '../../shared/errors.js';
import { AppError } from '../errors.js';
import { statusOf, titleOf } from './errors.js';
import { isDatabaseError, isDatabaseUnavailable } from '../db/errors.js';
import { isRedisUnavailable } from '../redis/redis.client.js';

/** Body-parser errors carry a `type`, serve-static's a `status`; these are the client's mistakes, not ours. */
function fromHttpError(err: { type?: unknown; status?: unknown; expose?: unknown; limit?: unknown }): AppError | undefined {
  switch (err.type) {
    case 'entity.parse.failed':
      return new AppError('validation_failed', 'The request body is not valid JSON.');
    case 'entity.too.large':
      return new AppError('payload_too_large', `The request body is larger than ${typeof err.limit === 'number' ? sizeOf(err.limit) : 'this route takes'}.`);
    case 'charset.unsupported':
    case 'encoding.unsupported':
      return new AppError('unsupported_media_type', 'The request body must be UTF-8 JSON.');
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set':
      return new AppError('validation_failed', 'The request body could not be read.');
    default:
      // serve-static (through send) says what is wrong with a file request through `status`. Its
      // 403 is a path that climbs out of the folder (`/assets/..%2f..%2fpackage.json`): answered
      // as a 404, so a probe learns nothing of what lies outside.
      if (err.status === 404 || err.status === 403) return new AppError('not_found', 'No such file.');
      if (err.status === 412) return new AppError('version_mismatch', 'The file does not match the request\'s preconditions.');
      if (err.status === 416) return new AppError('validation_failed', 'The requested range lies outside the file.');
      // A 400 it reports without a type: a body that claims gzip, deflate or br and is not.
      if (err.expose === true && err.status === 400) return new AppError('validation_failed', 'The request body could not be read.');
      return undefined;
  }
}

/** The router could not percent-decode a path parameter (`/api/users/%E0%A4%A`): the client's mistake too. */
function fromRouter(err: unknown): AppError | undefined {
  if (err instanceof URIError) {
    return new AppError('validation_failed', 'The request path is not valid: a part of it could not be decoded.');
  }
  return undefined;
}

export function sendProblem(res: Response, error: AppError): void {
  const status = statusOf(error.code);
  const body: Problem = {
    type: 'about:blank',
    title: titleOf(status),
    status,
    detail: error.detail,
    code: error.code,
    ...(error.errors ? { errors: error.errors } : {}),
    ...(error.conflicts ? { conflicts: error.conflicts } : {}),
    ...(error.current !== undefined ? { current: error.current } : {}),
    ...(error.changedBy !== undefined ? { changedBy: error.changedBy } : {}),
  };
  if (error.retryAfter !== undefined) res.setHeader('Retry-After', String(Math.max(1, Math.ceil(error.retryAfter))));
  res.status(status).type('application/problem+json').send(JSON.stringify(body));
}

/** Unknown /api paths answer in the API's own error shape, not Express's HTML page. */
export const apiNotFound: RequestHandler = (req) => {
  throw new AppError('not_found', `No route ${req.method} ${req.baseUrl}${req.path}.`);
};

/**
 * The one error middleware. An AppError is rendered as it says; anything else is a bug: logged
 * with its stack under the request's id, answered with a bare 500 that leaks nothing.
 */
export function problemHandler(logger: Logger, hooks: { databaseError?: () => void } = {}): ErrorRequestHandler {
  let lastOutageLog = 0;
  return (err, req, res, next) => {
    if (res.headersSent) return next(err);
    let error = err instanceof AppError ? err : (fromHttpError(err ?? {}) ?? fromRouter(err));
    if (!error && isDatabaseError(err)) hooks.databaseError?.();
    if (!error && isDatabaseUnavailable(err)) {
      // An outage is logged at most every half minute, not once per request.
      if (Date.now() - lastOutageLog > 30_000) {
        lastOutageLog = Date.now();
        requestLog(logger, req).warn({ err }, 'Postgres is unavailable: answering 503 until it is back');
      }
      error = new AppError('service_unavailable', 'The database is unavailable for a moment; try again shortly.', { retryAfter: 2 });
      sendProblem(res, error);
      return;
    }
    if (!error && isRedisUnavailable(err)) {
      // The Redis client logs the outage once; each request only learns to come back later.
      error = new AppError('service_unavailable', 'A backing service is unavailable for a moment; try again shortly.', { retryAfter: 1 });
    }
    if (!error) {
      requestLog(logger, req).error({ err }, 'unhandled error');
      error = new AppError('internal', 'Something went wrong on our side. It has been logged.');
    } else if (statusOf(error.code) >= 500 && error.code !== 'service_unavailable') {
      requestLog(logger, req).error({ err: error.cause ?? error, code: error.code }, error.detail);
    }
    sendProblem(res, error);
  };
}
