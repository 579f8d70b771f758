import express, { type RequestHandler } from 'express';
import { AppError } from '../errors.js';

const JSON_TYPES = ['application/json', 'application/*+json'];

/**
 * How large a body may be (docs/decisions/010): a signed-in caller's up to 1 MB; a public route's
 * (login) 4 KB, so an anonymous request can never make the server parse or validate much.
 */
export const SIGNED_IN_BODY_LIMIT = 1024 * 1024;
export const PUBLIC_BODY_LIMIT = 4 * 1024;

/**
 * Bodies are JSON or nothing. Refusing every other media type with 415 also shuts the door on
 * cross-site form posts and `text/plain` beacons, which browsers send without a CORS preflight.
 */
export const requireJsonBody: RequestHandler = (req, _res, next) => {
  const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
  if (hasBody && !req.is(JSON_TYPES)) {
    throw new AppError('unsupported_media_type', 'Send the request body as application/json.');
  }
  next();
};

const parsers = new Map<number, RequestHandler>();

/**
 * A JSON body parser stopping at `limit` bytes: a 413 from Content-Length alone, before reading,
 * or as soon as a streamed body passes it. Routes mount it after their access check (route.ts),
 * so a request the route would refuse is never parsed.
 */
export function parseJsonBody(limit: number): RequestHandler {
  let parser = parsers.get(limit);
  if (!parser) {
    parser = express.json({ limit, type: JSON_TYPES, strict: true });
    parsers.set(limit, parser);
  }
  return parser;
}

/** `1 MB`, `4 KB`: how the 413's detail names a limit. */
export const sizeOf = (bytes: number) => (bytes >= 1024 * 1024 ? `${bytes / (1024 * 1024)} MB` : `${bytes / 1024} KB`);
