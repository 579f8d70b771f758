import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { overAge, type Sessions } from '../auth/sessions.js';
import { AppError } from '../errors.js';

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Scrapers present METRICS_TOKEN as a bearer token; people use an admin session. */
export function requireMetricsAccess(token: string | undefined, sessions: Sessions): RequestHandler[] {
  const expected = token ? digest(token) : undefined;
  return [
    (req, res, next) => {
      const header = req.headers.authorization;
      if (header !== undefined) {
        const presented = /^Bearer (.+)$/.exec(header)?.[1];
        // Compared as digests: equal length, constant time, whatever was sent.
        if (expected && presented && timingSafeEqual(digest(presented), expected)) return next();
        throw new AppError('unauthenticated', 'The metrics token is not valid.');
      }
      sessions.optionalSession(req, res, (err?: unknown) => {
        if (err) return next(err);
        if (!req.session?.userId || overAge(req.session.loginAt)) return next(new AppError('unauthenticated', 'Sign in as an admin or send the metrics token.'));
        if (req.session.role !== 'admin') return next(new AppError('forbidden', 'Metrics are for admins.'));
        next();
      });
    },
  ];
}
