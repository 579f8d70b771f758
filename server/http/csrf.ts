import type { RequestHandler } from 'express';
import { AppError } from '../errors.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function originOf(value: string): string | undefined {
  try {
    return new URL(value).origin;
  } catch {
    return undefined;
  }
}

/**
 * Cross-site request forgery: a state-changing request whose Origin (or, without one, Referer) is
 * neither this server's own origin (scheme and host) nor one of APP_ORIGINS is refused before anything runs. A request with
 * neither header (curl, scripts) is judged by its session alone. Login is covered too, so a
 * foreign page cannot sign a browser into an attacker's account. The JSON-only body rule
 * (body.ts) closes the remaining door: forms and text/plain beacons.
 */
export function rejectForeignOrigins(appOrigins: readonly string[]): RequestHandler {
  const allowed = new Set(appOrigins);
  return (req, _res, next) => {
    if (SAFE_METHODS.has(req.method)) return next();
    const header = req.headers.origin ?? req.headers.referer;
    if (header === undefined) return next();
    const origin = originOf(header);
    // Scheme and host: https://host is another origin than http://host. Behind a proxy both come
    // from its X-Forwarded-* headers when TRUST_PROXY says to believe them.
    const own = req.host ? `${req.protocol}://${req.host}` : undefined;
    if (origin === undefined || (origin !== own && !allowed.has(origin))) {
      throw new AppError('forbidden', 'Cross-site requests are refused.');
    }
    next();
  };
}
